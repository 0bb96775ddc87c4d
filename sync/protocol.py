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

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from models.domain.case_shape import CaseRecord
from models.domain.mutations import Mutations

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Hotline-Protocol"

MAX_BATCH = 500  # mutations per push request
MAX_BODY_BYTES = 8 * 1024 * 1024  # the server refuses bigger requests (413)
MAX_PULL_LIMIT = 2000  # changes per pull page

# Every integer and string a request carries is bounded, so that no value reaches the database
# that its column cannot hold (a 4xx naming the field, never a 500).
# JSON's safe integers (2^53 - 1): exact in every client, whatever parses its numbers as doubles.
MAX_SEQ = 2**53 - 1  # a terminal's sequence numbers (and `resume_from`, `ack_from`)
MAX_CURSOR = 2**53 - 1  # the server's change cursor
MAX_COUNT = 2**31 - 1  # counts stored in 32-bit columns (queue depth)
MAX_PROTOCOL = 1000  # the X-Hotline-Protocol header
MAX_OFFSET = 1_000_000  # paging offsets (GET /v1/cases, /v1/audit)
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # times a request may carry: 1970 ...
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)  # ... to 2199 (the server's own checks are tighter)

# No control characters, no spaces (NUL in an id or filter broke PostgreSQL queries).
ID_PATTERN = r"^[^\s\x00-\x1f\x7f-\x9f]*$"
Id = Annotated[str, StringConstraints(max_length=64, pattern=ID_PATTERN)]
ClientId = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=ID_PATTERN)]


def _json_integer(value: object) -> object:
    """A request body's integers are JSON integers: not true/false and not "7" (pydantic's lax
    mode would take both); 7.0 is one (JSON Schema's own rule), 7.5 is not (pydantic refuses)."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a JSON integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
Seq = Annotated[int, Field(ge=1, le=MAX_SEQ), BeforeValidator(_json_integer)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value: object) -> object:
    """A time on the wire is ISO 8601 text (not a number of seconds, which pydantic would take)."""
    if isinstance(value, str | bytes) and not _ISO_DATE.match(
            value if isinstance(value, str) else value.decode("latin-1")):
        raise ValueError("give an ISO 8601 date-time with its zone, e.g. 2026-03-10T09:15:00+08:00")
    if isinstance(value, int | float):
        raise ValueError("give an ISO 8601 date-time with its zone, not a number")
    return value


def _plausible(value: datetime) -> datetime:
    if not EARLIEST_TIME <= value < LATEST_TIME:
        raise ValueError("a time must lie between 1970-01-01 and 2199-12-31")
    return value


WireTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_plausible)]

__all__ = ["Mutations"]  # the mutation names, defined once in models.domain.mutations


Outcome = Literal["applied", "duplicate", "rejected", "conflict"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Mutation(_Wire):
    seq: Seq = Field(description="the client's sequence number: strictly increasing, no gaps")
    name: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    case_id: Id = ""
    at: WireTime | None = Field(default=None, description="the terminal's clock when saved (kept for the record, never trusted)")
    payload: dict[str, Any] = Field(default_factory=dict)


class PushRequest(_Wire):
    client_id: ClientId
    mutations: list[Mutation] = Field(max_length=MAX_BATCH)
    queue_depth: JsonInt = Field(default=0, ge=0, le=MAX_COUNT,
                             description="what the terminal still holds (for shift leads)")
    oldest_at: WireTime | None = None
    resume_from: Seq | None = Field(default=None, description=(
        "\"I hold nothing below this seq\": every change this terminal numbered below it was "
        "settled (the server's word deleted it from the outbox). Send it after a 409 "
        "sequence_gap whose expected_seq is below the lowest seq the terminal still holds: the "
        "server's database was restored from an older backup. When the server expects a lower "
        "seq, it records the jump (audit action `sync.seq_jump`, for shift leads) and continues "
        "from this seq, so the held changes are applied, not lost; the batch must then start at "
        "it. When the server already expects this seq or a later one, the field changes "
        "nothing. Never send it to skip a change the terminal still holds."))


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
    client_id: ClientId
    cursor: JsonInt = Field(default=0, ge=0, le=MAX_CURSOR)
    limit: JsonInt = Field(default=1000, ge=1, le=MAX_PULL_LIMIT)
    horizon_days: JsonInt = Field(default=30, ge=0, le=3660,
                                  description="other agents' cases created within this many days")
    ack_from: JsonInt = Field(default=0, ge=0, le=MAX_SEQ,
                              description="report non-applied outcomes of seqs >= this")


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


class KbArticleWire(_Wire):
    """A published knowledge article as terminals pull it: its published version's content, or
    `withdrawn: true` (the terminal takes it out of search; answers given from it keep naming
    it)."""

    id: str
    group_id: str = ""
    lang: str = "zh"
    title: str = ""
    answer: str = ""
    body: str = ""
    category: str = ""
    tags: list[str] = Field(default_factory=list)
    department: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    version: int = 1
    withdrawn: bool = False
    updated_at: datetime | None = None
    updated_by: str = ""


class KbPhraseWire(_Wire):
    """A quick phrase as terminals pull it (`withdrawn: true`: deleted on the server)."""

    code: str
    lang: str
    label: str = ""
    text: str = ""
    version: int = 1
    withdrawn: bool = False
    updated_at: datetime | None = None


MAX_KB_BATCH = 500  # articles per `POST /v1/kb/import`
_KbLine = Annotated[str, StringConstraints(max_length=500)]
_KbBound = Annotated[str, StringConstraints(max_length=40)]


class KbArticleIn(_Wire):
    """An article as a lead sends it (`PUT /v1/kb/articles/{id}`). The values are checked as
    `hotline kb import` checks a file (`models.kb.importer.article_from_fields`): title and
    answer required, lang zh or en (guessed from the text when empty), validity bounds ISO
    dates (a whole day in the server's zone) or date-times with a zone, until not before from;
    a bad value is a 422 naming it."""

    title: _KbLine = ""
    answer: str = Field(default="", max_length=20_000)
    lang: str = Field(default="", max_length=16)
    body: str = Field(default="", max_length=200_000)
    category: _KbLine = ""
    tags: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=100)
    department: _KbLine = ""
    valid_from: _KbBound | None = None
    valid_until: _KbBound | None = None
    translation_of: Id = ""
    publish: StrictBool = Field(default=False, description="publish the saved version too")


class KbArticleItem(KbArticleIn):
    id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]


class KbImportRequest(_Wire):
    articles: list[KbArticleItem] = Field(max_length=MAX_KB_BATCH)
    publish: StrictBool = Field(default=True, description="publish what is saved (the default)")


KbOutcome = Literal["added", "updated", "unchanged", "rejected"]


class KbArticleState(_Wire):
    """Where an article stands on the server after a write."""

    id: str
    outcome: KbOutcome = "unchanged"
    version: int = 0  # the latest saved version
    published_version: int = 0  # what terminals get (0: never published)
    withdrawn: bool = False
    reason: str = ""  # a rejected one: the field at fault and why
    updated_at: datetime | None = None
    updated_by: str = ""


class KbImportResponse(_Wire):
    results: list[KbArticleState]
    cursor: int


class KbPhraseIn(_Wire):
    text: str = Field(min_length=1, max_length=2000)
    label: _KbLine = ""


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
    kb_articles: list[KbArticleWire] = Field(
        default_factory=list, description="knowledge articles published or withdrawn in the page")
    kb_phrases: list[KbPhraseWire] = Field(
        default_factory=list, description="quick phrases changed or deleted in the page")
    head: int = Field(default=0, description=(
        "the server's change cursor when the page was read: a client shows its progress as "
        "how far `cursor` has come towards it"))
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
                                   "too_large, invalid_request, invalid_batch, client_too_old, "
                                   "too_many_failures (429), unavailable (503), internal (500)")
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


class Health(_Wire):
    """`GET /healthz`: whether the server can reach its database (503 when it cannot)."""

    ok: bool
    database: str = Field(description="`ok`, or why the database did not answer")
    protocol: int
    min_protocol: int


class AuditEntry(_Wire):
    """One read of case data, as `GET /v1/audit` lists them (for shift leads and admins).

    Actions: `cases.list` (a page of `GET /v1/cases`: the ids listed), `cases.read` (one case by
    `GET /v1/cases/{id}`), `pull` (other users' cases sent to a terminal: their ids, and the
    cursor window in `detail`), `sync.seq_jump` (a terminal's `resume_from` skipped seqs the
    server expected: `detail` says from which to which)."""

    id: int
    at: datetime
    user_id: str
    role: str
    action: str
    address: str = ""
    client_id: str = ""
    case_count: int = 0
    case_ids: list[str] = Field(default_factory=list)
    detail: dict[str, Any] = Field(default_factory=dict)
