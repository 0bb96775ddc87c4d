"""A case's timeline: appending events (notes, repeat calls, lifecycle steps) and reading them.

Every event is appended in one local transaction with its outbox row; the event's kind moves the
case's status. The central server applies pulled-in events through the same function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.domain.case_shape import CaseDraft
from models.domain.enums import EventKind
from models.domain.ids import new_id
from models.domain.lifecycle import event_effect
from models.domain.messages import Problem, ValidationFailed
from models.domain.phone import PhoneError, normalise_phone
from models.domain.text import clean_text
from models.domain.timeutil import now
from models.search.index import reindex_session, snapshot_session
from models.store import Store, outbox
from models.store.tables import Case, CaseEvent

from .callers import remember_caller


def record_event_in(session: Session, case: Case, kind: EventKind, agent: str, at: datetime,
                    note: str = "", data: dict[str, Any] | None = None, *,
                    event_id: str | None = None, queue: bool = True) -> CaseEvent:
    """Append an event to a case's timeline and move the case as the event implies
    (`models.domain.lifecycle.event_effect`, the same rule on the terminal and the server).

    `queue` puts it in the terminal's outbox (the central server applies events with False).
    A repeat call's note (what the caller said) is part of the case's searchable text: the
    search index follows it in the same transaction."""
    follows = kind is EventKind.REPEAT_CALL and bool(clean_text(note))
    before = snapshot_session(session, [case.id]) if follows else {}
    event = CaseEvent(id=event_id or new_id(), case_id=case.id, kind=str(kind), at=at,
                      agent=agent, note=clean_text(note), data=data or {})
    session.add(event)
    if queue:
        outbox.enqueue_event(session, event)
    effect = event_effect(event.kind, event.data, event.note, at, case.status)
    for name, value in effect.fields.items():
        setattr(case, name, value)
    case.supervised_count += effect.supervised
    case.repeat_count += effect.repeat_calls
    case.updated_at = at
    case.version += 1
    session.add(case)
    if before:
        reindex_session(session, before)
    return event


def add_note(store: Store, case_id: str, note: str, agent: str, at: datetime | None = None) -> CaseEvent:
    if not clean_text(note):
        raise ValidationFailed([Problem("notes", "note.required")])
    with store.writer() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise KeyError(case_id)
        event = record_event_in(session, case, EventKind.NOTE, agent, at or now(), note)
        session.commit()
        return event


def attach_repeat_call(store: Store, case_id: str, agent: str, *, draft: CaseDraft | None = None,
                       phone: str = "", name: str = "", note: str = "",
                       at: datetime | None = None) -> CaseEvent:
    """Attach this call to an existing case instead of filing a duplicate: a repeat-call event
    with the caller and what they said, and the case's repeat count goes up (shift leads see it).

    Give the intake form's `draft`, or the caller's `phone`, `name` and a `note`."""
    if draft is not None:
        phone, name = phone or draft.caller_phone, name or draft.caller_name
        note = note or "\n".join(p for p in (draft.description.strip(), draft.notes.strip()) if p)
    try:
        caller = normalise_phone(phone)
    except PhoneError as exc:
        raise ValidationFailed([Problem("caller_phone", f"phone.{exc}",
                                        {"value": phone.strip()})]) from exc
    name = clean_text(name, multiline=False)
    when = at or now()
    with store.writer() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise KeyError(case_id)
        event = record_event_in(session, case, EventKind.REPEAT_CALL, agent, when, note,
                                {"caller_phone": caller.e164, "caller_name": name})
        if caller.e164 and not caller.withheld:
            remember_caller(session, caller.e164, name, when)
        session.commit()
        return event


def timeline(store: Store, case_id: str) -> list[CaseEvent]:
    with store.session() as session:
        return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                 .order_by(col(CaseEvent.at), col(CaseEvent.id))).all())


