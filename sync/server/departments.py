"""What a department does through the server's API (`routers/departments.py`): its open orders,
one order with its timeline, and its steps on them (accept, return with a reason, progress,
resolve, request an extension).

A department's token is bound to one department (`hotline user add NAME --role department
--department CODE`): it sees the cases whose lead department is its own (or that it co-handles)
and nothing else; any other case is "not found", so its existence is not given away. Each step
is checked by the lifecycle's rule and recorded as an event on the case's timeline
(`steps.take`), logged for the terminals' next pull.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlmodel import col

from models.domain.enums import EventKind
from models.domain.lifecycle import OPEN_WORK, Step
from models.domain.timeutil import now
from models.store.tables import Case, CaseEvent
from sync.protocol import CaseWire, EventWire

from . import reminders, rules, steps
from .auth import User
from .db import Database, log_changes
from .received import BatchCatalogue


class NotFound(Exception):
    pass


def _mine(dept: str):
    """The cases a department handles: it leads them or co-handles them."""
    co = cast(Case.co_departments, String).contains(f'"{dept}"', autoescape=True)
    return or_(Case.lead_department == dept, co)


def open_orders(db: Database, user: User, *, limit: int = 200, offset: int = 0
                ) -> list[dict[str, Any]]:
    """The department's open orders (dispatched or in progress), the earliest deadline first,
    each with its latest step and its reminders (催办): how many, and the last one's time."""
    reminders.maybe_remind(db)  # today's reminders are on the timeline before it reads
    q = (select(Case).where(_mine(user.department), col(Case.status).in_([s.value for s in OPEN_WORK]))
         .order_by(col(Case.due_at).asc().nulls_last(), col(Case.created_at), col(Case.id))
         .limit(limit).offset(offset))
    with db.reader() as s:
        found = list(s.execute(q).scalars())
        ids = [c.id for c in found]
        reminded = {r[0]: (r[1], r[2]) for r in s.execute(
            select(CaseEvent.case_id, func.count(), func.max(CaseEvent.at))
            .where(col(CaseEvent.case_id).in_(ids), CaseEvent.kind == EventKind.REMINDED)
            .group_by(CaseEvent.case_id))} if ids else {}
        latest = _latest_steps(s, ids)
    out = []
    for c in found:
        count, last = reminded.get(c.id, (0, None))
        out.append({"case": CaseWire.model_validate(c, from_attributes=True),
                    "latest_step": latest.get(c.id), "reminders": count,
                    "last_reminded_at": _aware(last)})
    return out


def _latest_steps(s, ids: list[str]) -> dict[str, EventWire]:
    """Each case's latest event (by time, then id)."""
    if not ids:
        return {}
    newest = (select(CaseEvent.case_id, func.max(CaseEvent.at).label("at"))
              .where(col(CaseEvent.case_id).in_(ids)).group_by(CaseEvent.case_id).subquery())
    rows = s.execute(select(CaseEvent).join(newest, and_(
        CaseEvent.case_id == newest.c.case_id, CaseEvent.at == newest.c.at))
        .order_by(col(CaseEvent.id))).scalars()
    return {e.case_id: EventWire.model_validate(e, from_attributes=True) for e in rows}


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite hands back the stored text for an aggregate
        from models.domain.timeutil import from_db_text

        return from_db_text(value)
    return value


def order(db: Database, user: User, ref: str) -> tuple[CaseWire, list[EventWire]]:
    """One of the department's cases (by id or number) with its timeline; NotFound otherwise."""
    with db.reader() as s:
        case = s.execute(select(Case).where((col(Case.id) == ref) | (col(Case.case_no) == ref),
                                            _mine(user.department))).scalars().first()
        if case is None:
            raise NotFound(ref)
        events = s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                           .order_by(col(CaseEvent.at), col(CaseEvent.id))).scalars()
        return (CaseWire.model_validate(case, from_attributes=True),
                [EventWire.model_validate(e, from_attributes=True) for e in events])


def act(db: Database, user: User, ref: str, step: Step) -> tuple[CaseWire, EventWire]:
    """Take one step on one of the department's cases: checked, recorded, logged for pullers.
    NotFound for a case that is not the department's; ValidationFailed for a refused step."""
    at = now()
    with db.writer() as s:
        case = steps.lock_case(s, ref, is_pg=db.is_pg)
        dept = user.department
        if case is None or not (case.lead_department == dept or dept in (case.co_departments or [])):
            raise NotFound(ref)
        event = steps.take(s, case, rules.actor_of(user), step, at, BatchCatalogue(s))
        s.flush()
        log_changes(s, [("case", case.id), ("event", event.id)])
        s.commit()
        return (CaseWire.model_validate(case, from_attributes=True),
                EventWire.model_validate(event, from_attributes=True))
