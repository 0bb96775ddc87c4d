"""The terminal's outbox: every saved change, as an intent, written in the saving transaction.

A row is an intent ("create this case", "add this note", "change these fields from old to new")
named with its schema version (`models.domain.mutations.Mutations`). `seq` is the terminal's sequence number (SQLite AUTOINCREMENT: never reused, even
after the newest row is deleted), so the server can apply each exactly once and in order.

Rows leave the outbox only when the server has confirmed them (sync.client deletes them); a
failed request never removes one. A mutation the server rejected stays, marked with its reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from models.domain.case_shape import CaseRecord
from models.domain.mutations import Mutations
from models.domain.timeutil import now, to_db_text

from .db_types import AwareDateTime
from .tables import Case, CaseEvent

PENDING, REJECTED, CONFLICT = "pending", "rejected", "conflict"


class Outbox(SQLModel, table=True):
    seq: int | None = Field(default=None, primary_key=True)
    name: str
    case_id: str = ""
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    state: str = PENDING  # pending | rejected | conflict
    reason: str = ""


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_db_text(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def case_payload(case: Case) -> dict[str, Any]:
    """The case as `sync.protocol.CaseWire` carries it: every field of the shared shape."""
    return {name: jsonable(getattr(case, name)) for name in CaseRecord.model_fields}


def event_payload(event: CaseEvent) -> dict[str, Any]:
    return {c.name: jsonable(getattr(event, c.name)) for c in CaseEvent.__table__.columns}


def enqueue(session: Session, name: str, case_id: str, payload: dict[str, Any],
            at: datetime | None = None) -> Outbox:
    """Add an intent to the outbox inside the caller's (the save's) transaction."""
    row = Outbox(name=name, case_id=case_id, payload=payload, created_at=at or now())
    session.add(row)
    return row


def enqueue_case_created(session: Session, case: Case, events: list[CaseEvent]) -> Outbox:
    return enqueue(session, Mutations.CASE_CREATE, case.id,
                   {"case": case_payload(case), "events": [event_payload(e) for e in events]})


def enqueue_event(session: Session, event: CaseEvent) -> Outbox:
    name = Mutations.CASE_NOTE if event.kind == "note" else Mutations.CASE_EVENT
    return enqueue(session, name, event.case_id, {"event": event_payload(event)})


def enqueue_fields(session: Session, case_id: str, changes: dict[str, tuple[Any, Any]],
                   base_version: int | None = None) -> Outbox:
    fields = {k: {"old": jsonable(old), "new": jsonable(new)} for k, (old, new) in changes.items()}
    return enqueue(session, Mutations.CASE_FIELDS, case_id, {"fields": fields, "base_version": base_version})
