"""Cases as the case API shows them: a page of cases (newest first) and one case with its
timeline, looked up by id or by case number."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from models.store.tables import Case, CaseEvent
from sync.protocol import CaseWire, EventWire

from .db import Database


def list_cases(db: Database, *, limit: int, offset: int, status: str | None = None) -> list[Case]:
    q = select(Case).order_by(col(Case.created_at).desc(), col(Case.id)).limit(limit).offset(offset)
    if status:
        q = q.where(col(Case.status) == status)
    with db.reader() as s:
        return list(s.execute(q).scalars())


def case_with_timeline(db: Database, case_id: str) -> tuple[CaseWire, list[EventWire]] | None:
    """The case whose id or number is `case_id` and its events in time order; None if unknown."""
    with db.reader() as s:
        case = s.execute(select(Case).where((col(Case.id) == case_id)
                                            | (col(Case.case_no) == case_id))).scalars().first()
        if case is None:
            return None
        events = s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                           .order_by(col(CaseEvent.at), col(CaseEvent.id))).scalars()
        return (CaseWire.model_validate(case, from_attributes=True),
                [EventWire.model_validate(e, from_attributes=True) for e in events])
