"""The wire types both ends share: mutation names and versions, push and pull.

A terminal's outbox holds *intents* (mutations), each with the client's sequence number. The
client POSTs them in order (`/v1/push`); the server applies each exactly once, in order, and
answers one outcome per mutation. The client POSTs for server-side changes (`/v1/pull`) with a
commit-ordered cursor. Both ends import this module; it imports only pydantic and the shared case shape
(`models.domain`).

Protocol versions: the client sends `X-Hotline-Protocol`; a server whose minimum is above it
answers 426 with `{"error": "client_too_old", ...}` and the client stops with a clear status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.domain.case_shape import CaseRecord
from models.domain.mutations import Mutations

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Hotline-Protocol"

MAX_BATCH = 500  # mutations per push request
MAX_BODY_BYTES = 8 * 1024 * 1024  # the server refuses bigger requests (413)
MAX_PULL_LIMIT = 2000  # changes per pull page

__all__ = ["Mutations"]  # the mutation names, defined once in models.domain.mutations


Outcome = Literal["applied", "duplicate", "rejected", "conflict"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Mutation(_Wire):
    seq: int = Field(ge=1, description="the client's sequence number: strictly increasing, no gaps")
    name: str = Field(max_length=64)
    case_id: str = Field(default="", max_length=64)
    at: AwareDatetime | None = Field(default=None, description="the terminal's clock when saved (shown, never trusted)")
    payload: dict[str, Any] = Field(default_factory=dict)


class PushRequest(_Wire):
    client_id: str = Field(min_length=8, max_length=64)
    mutations: list[Mutation] = Field(max_length=MAX_BATCH)
    queue_depth: int = Field(default=0, ge=0, description="what the terminal still holds (for shift leads)")
    oldest_at: AwareDatetime | None = None


class ConflictInfo(_Wire):
    field: str
    base: Any = None  # the `old` the terminal saw
    theirs: Any = None  # the server's value when the mutation arrived
    mine: Any = None  # the terminal's `new`


class MutationResult(_Wire):
    seq: int
    outcome: Outcome
    reason: str = ""
    original: Outcome | None = None  # for a duplicate: the outcome of the first delivery
    conflicts: list[ConflictInfo] = Field(default_factory=list)


class PushResponse(_Wire):
    results: list[MutationResult]
    last_seq: int  # the client's last processed sequence number on the server
    server_time: datetime
    cursor: int  # the server's change cursor after this push (a pull from here sees it)


class PullRequest(_Wire):
    client_id: str = Field(min_length=8, max_length=64)
    cursor: int = Field(default=0, ge=0)
    limit: int = Field(default=1000, ge=1, le=MAX_PULL_LIMIT)
    horizon_days: int = Field(default=30, ge=0, le=3660,
                              description="other agents' cases created within this many days")
    ack_from: int = Field(default=0, ge=0, description="report non-applied outcomes of seqs >= this")


class CaseWire(CaseRecord):
    """A case as it travels: `models.domain.case_shape.CaseRecord`, every field of the table
    except the terminal-local sync_state."""


class EventWire(_Wire):
    id: str
    case_id: str
    kind: str
    at: AwareDatetime
    agent: str = ""
    note: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class DepartmentWire(_Wire):
    code: str
    name_zh: str = ""
    name_en: str = ""
    aliases: list[str] = Field(default_factory=list)
    parent: str = ""
    district: str = ""
    categories: list[str] = Field(default_factory=list)
    location_kinds: list[str] = Field(default_factory=list)
    source: str = "catalogue"


class CategoryWire(_Wire):
    code: str
    name_zh: str = ""
    name_en: str = ""
    parent: str = ""
    aliases: list[str] = Field(default_factory=list)
    due_days: int = 5
    source: str = "catalogue"


class ConflictWire(_Wire):
    id: str
    case_id: str
    field: str
    base: Any = None
    theirs: Any = None
    mine: Any = None
    client_id: str = ""
    user_id: str = ""
    seq: int = 0
    created_at: datetime
    resolved: bool = False
    resolution: Any = None


class Ack(_Wire):
    seq: int
    outcome: Outcome
    reason: str = ""


class PullResponse(_Wire):
    cursor: int
    more: bool = False  # another page follows: pull again from `cursor`
    reset: bool = False  # the client's cursor was unknown: this is a fresh snapshot
    last_seq: int = 0  # the client's last processed sequence number (every row up to it is done)
    acks: list[Ack] = Field(default_factory=list)  # outcomes other than "applied" since ack_from
    acks_to: int = 0  # every seq from ack_from up to here is either in `acks` or was applied
    cases: list[CaseWire] = Field(default_factory=list)
    events: list[EventWire] = Field(default_factory=list)
    departments: list[DepartmentWire] = Field(default_factory=list)
    categories: list[CategoryWire] = Field(default_factory=list)
    conflicts: list[ConflictWire] = Field(default_factory=list)
    server_time: datetime
    role: str = Field(default="", description="the role the server gives this token (agent, lead, admin, department)")
    department: str = Field(default="", description="a department user's department")


class FieldError(_Wire):
    """One reason a request was refused before it reached the server's logic (pydantic's)."""

    type: str
    loc: list[str | int] = Field(description="where: `body`, `query`, `header` or `path`, then the field")
    msg: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ErrorBody(_Wire):
    """Every error the API answers (Open311 aside, which keeps its spec's list): a code to act
    on, a sentence for people, and the extras some codes carry."""

    error: str = Field(description="e.g. unauthorized, forbidden, not_found, sequence_gap, "
                                   "too_large, invalid_request, invalid_batch, client_too_old")
    detail: str = Field(description="what went wrong, for people (the client shows it)")
    expected_seq: int | None = Field(default=None, description="sequence_gap: the seq the server expects")
    min_protocol: int | None = Field(default=None, description="client_too_old: the oldest protocol served")
    errors: list[FieldError] | None = Field(default=None, description="invalid_request: each field at fault")


class CaseCreatePayload(_Wire):
    case: CaseWire
    events: list[EventWire] = Field(default_factory=list)


class EventPayload(_Wire):
    event: EventWire


class FieldChange(_Wire):
    old: Any = None
    new: Any = None


class FieldsPayload(_Wire):
    fields: dict[str, FieldChange]
    base_version: int | None = None
