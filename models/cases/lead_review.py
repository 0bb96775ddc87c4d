"""What a shift lead reviews: work queues, department scoreboards and hot spots.

Read from a store (the terminal's replica, or the server's database): one SQL query per view,
grouped in the database, so it stays quick on a million cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal_column, or_
from sqlmodel import Session, col, select

from models.domain.enums import Disposition, EventKind, Satisfaction, Status
from models.domain.i18n import t
from models.store.outbox import CONFLICT, PENDING, REJECTED, Outbox
from models.store.tables import Case, CaseEvent

OPEN_STATES = [s.value for s in Status if s.is_open]

# The queues, in the order a lead works through them (names: `lead.queue.<key>` in the
# translation catalogue).
QUEUES: tuple[str, ...] = (
    "unsynced", "awaiting_dispatch", "returned", "overdue", "due_soon", "supervised",
    "extension_requests", "callbacks_due", "not_satisfied", "repeat_calls", "sync_problems",
)

# The scoreboard's periods, in the order `p` cycles them (days back from now).
PERIODS: dict[str, int] = {"today": 1, "7d": 7, "30d": 30}


# Written into the SQL, not bound: SQLite uses a partial index (`WHERE supervised_count > 0`,
# store steps 10 and 11) only when the query's condition holds the index's own condition as the
# same literal text, and a statement is planned before its values are bound.
ZERO = literal_column("0")


def _lit(value: str):
    return literal_column("'" + value.replace("'", "''") + "'")


def _not_done():
    """Open (neither resolved nor closed), as the open-case indexes state it (store step 11:
    `WHERE status NOT IN ('resolved', 'closed')`, which holds only the open cases: a city's
    imported history, mostly closed, costs them nothing). The same cases as `status IN
    OPEN_STATES`, which would lead SQLite away from those indexes."""
    return col(Case.status).not_in([_lit(Status.RESOLVED.value), _lit(Status.CLOSED.value)])


def _callback_due():
    """Resolved, nobody has asked the caller yet, and there is a number to call: the
    condition of the callbacks' partial index (store step 11), term by term."""
    return and_(col(Case.status) == _lit(Status.RESOLVED.value),
                col(Case.satisfaction) == _lit(""), col(Case.caller_phone) != _lit(""))


def queue_label(key: str, lang: str) -> str:
    return t(f"lead.queue.{key}", lang)


def _where(key: str, at: datetime):
    """The condition that puts a case in a queue (one place for each rule)."""
    # (`_not_done()` beside a status that implies it: it names the open-case index)
    if key == "awaiting_dispatch":
        return and_(Case.status == Status.OPEN, Case.disposition == Disposition.DISPATCH,
                    _not_done())
    if key == "returned":
        return and_(Case.status == Status.RETURNED, _not_done())
    if key == "overdue":
        return and_(col(Case.due_at) < at, _not_done())
    if key == "due_soon":
        return and_(col(Case.due_at) >= at, col(Case.due_at) < at + timedelta(days=1),
                    _not_done())
    if key == "callbacks_due":  # resolved, nobody has asked the caller yet
        return _callback_due()
    if key == "repeat_calls":
        return and_(col(Case.repeat_count) > ZERO, _not_done())
    if key == "unsynced":
        return col(Case.id).in_(select(Outbox.case_id).where(Outbox.state == PENDING))
    if key == "supervised":  # 督办: a lead pressed the department, the case is still open
        return and_(col(Case.supervised_count) > ZERO, _not_done())
    if key == "extension_requests":  # a department asked for more time; a lead decides
        return and_(col(Case.extension_due_at).is_not(None), _not_done())
    if key == "not_satisfied":  # the caller said so on the callback: reopened, open again
        return and_(Case.satisfaction == Satisfaction.UNSATISFIED, _not_done())
    if key == "sync_problems":  # the server refused a change, or two edits clashed
        return col(Case.id).in_(select(Outbox.case_id).where(
            col(Outbox.state).in_([REJECTED, CONFLICT])))
    raise KeyError(key)


def _order(key: str):
    """How a queue is sorted: the most pressing first (callbacks: the oldest resolved first)."""
    if key == "repeat_calls":
        return col(Case.repeat_count).desc()
    if key in ("overdue", "due_soon", "supervised"):
        return col(Case.due_at)
    if key == "callbacks_due":
        return col(Case.resolved_at)
    if key == "extension_requests":
        return col(Case.extension_due_at)
    return col(Case.created_at).desc()


# Queues only a terminal has (its own outbox); the server computes the others.
TERMINAL_ONLY = frozenset({"unsynced", "sync_problems"})


def queue_counts(session: Session, at: datetime,
                 keys: tuple[str, ...] | None = None) -> dict[str, int]:
    return {key: session.exec(select(func.count()).select_from(Case).where(_where(key, at))).one()
            for key in (QUEUES if keys is None else keys)}


def queue_cases(session: Session, key: str, at: datetime, limit: int = 200) -> list[Case]:
    return list(session.exec(select(Case).where(_where(key, at)).order_by(_order(key))
                             .limit(limit)).all())


def callback_assignees(session: Session, case_ids: list[str]) -> dict[str, str]:
    """Case id -> the agent a lead gave its callback to (the latest assignment note's
    `callback_agent`; see `assign_callback_step`)."""
    if not case_ids:
        return {}
    rows = session.exec(
        select(CaseEvent.case_id, CaseEvent.data).where(col(CaseEvent.case_id).in_(case_ids))
        .where(CaseEvent.kind == EventKind.NOTE).order_by(col(CaseEvent.at))).all()
    out: dict[str, str] = {}
    for case_id, data in rows:
        if isinstance(data, dict) and data.get(CALLBACK_AGENT):
            out[case_id] = str(data[CALLBACK_AGENT])
    return out


CALLBACK_AGENT = "callback_agent"  # the note's data key that assigns a callback


def assign_callback_step(assignee: str, lang: str = "en"):
    """Assigning a case's callback to an agent is a note (a step every state allows a lead)
    whose data names the agent: (Step, extra event data)."""
    from models.domain.lifecycle import Action, Step

    return (Step(Action.NOTE, note=t("lead.callback_assigned", lang, agent=assignee)),
            {CALLBACK_AGENT: assignee})


@dataclass
class DepartmentScore:
    department: str
    assigned: int
    resolved: int
    returned: int
    overdue: int
    satisfied: int
    called_back: int
    on_time: int = 0  # resolved by the deadline (or with none)
    supervised: int = 0  # cases a lead supervised (督办)

    @property
    def completion_rate(self) -> float:
        return self.resolved / self.assigned if self.assigned else 0.0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def return_rate(self) -> float:
        return self.returned / self.assigned if self.assigned else 0.0

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: satisfied and basically satisfied over the callbacks made."""
        return self.satisfied / self.called_back if self.called_back else None

    @property
    def score(self) -> float:
        """The ranking: completion, on time and satisfaction count for, returns against."""
        on_time = self.on_time_rate if self.on_time_rate is not None else 0.0
        sat = self.satisfaction_rate if self.satisfaction_rate is not None else 0.0
        return self.completion_rate + on_time + sat - self.return_rate


def scoreboard(session: Session, at: datetime, days: int = 30) -> list[DepartmentScore]:
    """Per lead department, cases dispatched in the last `days`: 办结率, 按期率, 退单率, 满意率,
    overdue and supervised counts; ranked best first (`DepartmentScore.score`)."""
    since = at - timedelta(days=days)
    returned = (select(CaseEvent.case_id).where(CaseEvent.kind == EventKind.RETURNED)
                .where(col(CaseEvent.at) >= since))
    done = col(Case.status).in_([Status.RESOLVED, Status.CLOSED])
    # Grouped by an expression, not the bare column: given exact statistics SQLite read the
    # whole table in department order (ix_case_lead_department, no sort) instead of the
    # period's cases through ix_case_created_at: 1.4 s against 8-160 ms at 1,000,000 cases.
    department = col(Case.lead_department).concat("")
    rows = session.exec(
        select(department, func.count(),
               func.sum(case((done, 1), else_=0)),
               func.sum(case((or_(Case.status == Status.RETURNED, col(Case.id).in_(returned)), 1),
                             else_=0)),
               func.sum(case((and_(col(Case.due_at) < at, col(Case.status).in_(OPEN_STATES)), 1),
                             else_=0)),
               func.sum(case((col(Case.satisfaction).in_(SATISFIED), 1), else_=0)),
               func.sum(case((Case.satisfaction != "", 1), else_=0)),
               func.sum(case((and_(done, or_(col(Case.due_at).is_(None),
                                              col(Case.resolved_at) <= col(Case.due_at))), 1),
                             else_=0)),
               func.sum(case((col(Case.supervised_count) > 0, 1), else_=0)))
        .where(Case.disposition == Disposition.DISPATCH).where(Case.lead_department != "")
        .where(col(Case.created_at) >= since)
        .group_by(department)).all()
    scores = [DepartmentScore(d, n, r or 0, ret or 0, o or 0, sat or 0, cb or 0, ot or 0, sv or 0)
              for d, n, r, ret, o, sat, cb, ot, sv in rows]
    return sorted(scores, key=lambda s: (-s.score, -s.assigned, s.department))


SATISFIED = [Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value]


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


def hot_spot_cases(session: Session, at: datetime, category: str, address: str, days: int = 14,
                   limit: int = 200) -> list[Case]:
    """The cases behind one hot spot (same category and address, same window), newest first."""
    since = at - timedelta(days=days)
    return list(session.exec(
        select(Case).where(Case.category == category).where(Case.address == address)
        .where(col(Case.created_at) >= since).order_by(col(Case.created_at).desc())
        .limit(limit)).all())
