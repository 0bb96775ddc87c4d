"""What a shift lead reviews: work queues, department scoreboards and hot spots.

Read from a store (the terminal's replica, or the server's database): one SQL query per view,
grouped in the database, so it stays quick on a million cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from models.domain.enums import Disposition, EventKind, Status
from models.domain.i18n import t
from models.store.outbox import PENDING, Outbox
from models.store.tables import Case, CaseEvent

OPEN_STATES = [s.value for s in Status if s.is_open]

# The queues, in the order a lead works through them (names: `lead.queue.<key>` in the
# translation catalogue).
QUEUES: tuple[str, ...] = (
    "unsynced", "awaiting_dispatch", "returned", "overdue", "due_soon", "callbacks_due",
    "repeat_calls",
)


def queue_label(key: str, lang: str) -> str:
    return t(f"lead.queue.{key}", lang)


def _where(key: str, at: datetime):
    """The condition that puts a case in a queue (one place for each rule)."""
    if key == "awaiting_dispatch":
        return and_(Case.status == Status.OPEN, Case.disposition == Disposition.DISPATCH)
    if key == "returned":
        return Case.status == Status.RETURNED
    if key == "overdue":
        return and_(col(Case.due_at) < at, col(Case.status).in_(OPEN_STATES))
    if key == "due_soon":
        return and_(col(Case.due_at) >= at, col(Case.due_at) < at + timedelta(days=1),
                    col(Case.status).in_(OPEN_STATES))
    if key == "callbacks_due":  # resolved, nobody has asked the caller yet
        return and_(Case.status == Status.RESOLVED, Case.satisfaction == "",
                    Case.caller_phone != "")
    if key == "repeat_calls":
        return and_(col(Case.repeat_count) > 0, col(Case.status).in_(OPEN_STATES))
    if key == "unsynced":
        return col(Case.id).in_(select(Outbox.case_id).where(Outbox.state == PENDING))
    raise KeyError(key)


# Queues only a terminal has (its own outbox); the server computes the others.
TERMINAL_ONLY = frozenset({"unsynced"})


def queue_counts(session: Session, at: datetime,
                 keys: tuple[str, ...] | None = None) -> dict[str, int]:
    return {key: session.exec(select(func.count()).select_from(Case).where(_where(key, at))).one()
            for key in (QUEUES if keys is None else keys)}


def queue_cases(session: Session, key: str, at: datetime, limit: int = 200) -> list[Case]:
    order = (col(Case.repeat_count).desc() if key == "repeat_calls"
             else col(Case.due_at) if key in ("overdue", "due_soon")
             else col(Case.created_at).desc())
    return list(session.exec(select(Case).where(_where(key, at)).order_by(order).limit(limit)).all())


@dataclass
class DepartmentScore:
    department: str
    assigned: int
    resolved: int
    returned: int
    overdue: int
    satisfied: int
    called_back: int

    @property
    def completion_rate(self) -> float:
        return self.resolved / self.assigned if self.assigned else 0.0

    @property
    def return_rate(self) -> float:
        return self.returned / self.assigned if self.assigned else 0.0

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.called_back if self.called_back else None


def scoreboard(session: Session, at: datetime, days: int = 30) -> list[DepartmentScore]:
    """Per lead department, cases dispatched in the last `days`: 办结率, 退单率, 满意率, overdue."""
    since = at - timedelta(days=days)
    returned = (select(CaseEvent.case_id).where(CaseEvent.kind == EventKind.RETURNED)
                .where(col(CaseEvent.at) >= since))
    rows = session.exec(
        select(Case.lead_department, func.count(),
               func.sum(case((col(Case.status).in_([Status.RESOLVED, Status.CLOSED]), 1), else_=0)),
               func.sum(case((or_(Case.status == Status.RETURNED, col(Case.id).in_(returned)), 1),
                             else_=0)),
               func.sum(case((and_(col(Case.due_at) < at, col(Case.status).in_(OPEN_STATES)), 1),
                             else_=0)),
               func.sum(case((Case.satisfaction == "satisfied", 1), else_=0)),
               func.sum(case((Case.satisfaction != "", 1), else_=0)))
        .where(Case.disposition == Disposition.DISPATCH).where(Case.lead_department != "")
        .where(col(Case.created_at) >= since)
        .group_by(Case.lead_department)).all()
    scores = [DepartmentScore(d, n, r or 0, ret or 0, o or 0, sat or 0, cb or 0)
              for d, n, r, ret, o, sat, cb in rows]
    # Worst first: what a lead must chase.
    return sorted(scores, key=lambda s: (s.completion_rate - s.return_rate, -s.assigned))


@dataclass
class HotSpot:
    category: str
    address: str
    cases: int
    callers: int
    latest: datetime


def hot_spots(session: Session, at: datetime, days: int = 14, minimum: int = 3,
              limit: int = 20) -> list[HotSpot]:
    """Places where one kind of problem keeps being reported (the seed's dark road)."""
    since = at - timedelta(days=days)
    rows = session.exec(
        select(Case.category, Case.address, func.count(), func.count(func.distinct(Case.caller_phone)),
               func.max(Case.created_at))
        .where(col(Case.created_at) >= since).where(Case.address != "")
        .group_by(Case.category, Case.address)
        .having(func.count() >= minimum)
        .order_by(func.count().desc()).limit(limit)).all()
    out = []
    for category, address, n, callers, latest in rows:
        if isinstance(latest, str):  # SQLite hands back the stored text for an aggregate
            from models.domain.timeutil import from_db_text

            latest = from_db_text(latest)
        out.append(HotSpot(category, address, n, callers, latest))
    return out
