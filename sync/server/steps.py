"""Lifecycle steps on the server: a step checked against the case as the server's database has
it (`rules.check`, i.e. `models.domain.lifecycle`) and recorded as an event on its timeline
(`models.cases.record_event_in`, the same function the terminal uses), so every terminal's
next pull brings it. Used by push (a terminal's step), the department API and the reminders.

The caller holds a write transaction with the case's row locked (`lock_case`): two steps on one
case from two terminals (or a terminal and a department) are taken one after the other, each
checked against the state the other left, so the timeline converges with no step lost and no
step taken from a state the case no longer has.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases import record_event_in
from models.domain.deadlines import add_working_days, working_days_for
from models.domain.enums import EventKind
from models.domain.lifecycle import Action, Actor, CaseState, Step, step_event
from models.domain.messages import Problem, ValidationFailed
from models.store.tables import Case, CaseEvent
from sync.protocol import LATEST_TIME

from . import rules
from .received import BatchCatalogue

DEFAULT_DUE_DAYS = 5  # a case with no category, as intake counts it


def lock_case(session: Session, ref: str, *, is_pg: bool) -> Case | None:
    """The case by id or case number, its row locked until the transaction ends (PostgreSQL;
    SQLite's writer already holds the database)."""
    q = select(Case).where((col(Case.id) == ref) | (col(Case.case_no) == ref)).limit(1)
    if is_pg:
        q = q.with_for_update()
    return session.execute(q).scalars().first()


def take(session: Session, case: Case, actor: Actor, step: Step, at: datetime,
         catalogue: BatchCatalogue, *, event_id: str | None = None,
         extra: dict[str, Any] | None = None) -> CaseEvent:
    """Check one step and record it (no commit); raises ValidationFailed naming the field, or
    the state and the allowed steps."""
    if step.action is Action.DISPATCH:
        step = _departments(step, catalogue)
    _check_due(step, at)
    checked = rules.check(actor, case, step)
    state = CaseState.of(case)
    kind, data = step_event(state, actor, checked)
    if step.action is Action.DISPATCH and case.due_at is None:
        data["due_at"] = due_from(case, at, catalogue).isoformat()
    data.update(extra or {})
    return record_event_in(session, case, EventKind(kind), actor.user, at, checked.note, data,
                           event_id=event_id, queue=False)


def _check_due(step: Step, at: datetime) -> None:
    """A deadline a step carries (supervise, extend) is an aware time from now to 2199: one
    past year 9999 in a far zone would stop every PostgreSQL reader (issue 10)."""
    due = step.due_at
    if due is None:
        return
    if due.tzinfo is None:
        raise ValidationFailed([Problem("due_at", "time.naive", {"field": "due_at"})])
    try:
        ok = at - timedelta(days=1) <= due <= LATEST_TIME
    except OverflowError:
        ok = False
    if not ok:
        raise ValidationFailed([Problem("due_at", "time.out_of_range", {
            "field": "due_at", "value": str(due)[:40], "earliest": at.date().isoformat(),
            "latest": LATEST_TIME.date().isoformat()})])


def due_from(case: Case, at: datetime, catalogue: BatchCatalogue) -> datetime:
    """The deadline of a case dispatched at `at`: its category's working days at its urgency."""
    found = catalogue.category(case.category) if case.category else None
    days = found[1] if found else DEFAULT_DUE_DAYS
    return add_working_days(at, working_days_for(days, case.urgency))


def _departments(step: Step, catalogue: BatchCatalogue) -> Step:
    """A dispatch's departments as catalogue codes (a name or alias accepted); unknown ones
    are refused naming their field."""
    problems: list[Problem] = []
    codes: list[str] = []
    for i, raw in enumerate([step.lead_department, *step.co_departments]):
        if not raw.strip():
            codes.append("")
            continue
        code = catalogue.department(raw)
        if code is None:
            problems.append(Problem("lead_department" if i == 0 else "co_departments",
                                    "department.unknown", {"value": raw.strip()[:60]}))
        codes.append(code or "")
    if problems:
        raise ValidationFailed(problems)
    return Step(step.action, note=step.note, lead_department=codes[0],
                co_departments=[c for c in dict.fromkeys(codes[1:]) if c],
                due_at=step.due_at)
