"""Lifecycle steps on the terminal: check a step against the rules, record it on the timeline
and queue it for the server, in one local transaction (`hotline act`, the case view, the lead
review all come through `take_step`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.domain.deadlines import add_working_days, working_days_for
from models.domain.lifecycle import Action, Actor, CaseState, Step, check_step, step_event
from models.domain.messages import Problem, ValidationFailed
from models.domain.timeutil import now
from models.reference.catalogue import SessionCatalogue
from models.store import Store
from models.store.tables import Case, CaseEvent

from .timeline import record_event_in

DEFAULT_DUE_DAYS = 5  # a case with no category, as intake counts it


def find_case(session: Session, ref: str) -> Case | None:
    """A case by id, case number or source id."""
    case = session.get(Case, ref)
    if case is None:
        case = session.exec(select(Case).where(
            (col(Case.case_no) == ref) | (col(Case.external_id) == ref))).first()
    return case


def take_step(store: Store, ref: str, actor: Actor, step: Step,
              at: datetime | None = None, *, extra: dict[str, Any] | None = None
              ) -> tuple[Case, CaseEvent]:
    """Check and record one step; raises KeyError for an unknown case and ValidationFailed
    (naming the state and the allowed steps) for a step the rules refuse. `extra` adds data
    to the event (a callback assignment's agent: `lead_review.assign_callback_step`)."""
    with store.writer() as session:
        case = find_case(session, ref)
        if case is None:
            raise KeyError(ref)
        event = take_step_in(session, case, actor, step, at or now(), extra=extra)
        session.commit()
        return case, event


def take_step_in(session: Session, case: Case, actor: Actor, step: Step, at: datetime, *,
                 queue: bool = True, event_id: str | None = None,
                 extra: dict[str, Any] | None = None) -> CaseEvent:
    if step.action is Action.DISPATCH:
        step = _resolve_departments(session, step)
    state = CaseState.of(case)
    checked = check_step(state, actor, step)
    kind, data = step_event(state, actor, checked)
    data = {**(extra or {}), **data}
    if step.action is Action.DISPATCH and case.due_at is None:
        data["due_at"] = due_from(session, case, at).isoformat()
    return record_event_in(session, case, kind, actor.user, at, checked.note, data,
                           event_id=event_id, queue=queue)


def due_from(session: Session, case: Case, at: datetime) -> datetime:
    """The deadline of a case dispatched at `at`: its category's working days at its urgency."""
    found = SessionCatalogue(session).category(case.category) if case.category else None
    days = found[1] if found else DEFAULT_DUE_DAYS
    return add_working_days(at, working_days_for(days, case.urgency))


def take_steps(store: Store, refs: list[str], actor: Actor, step: Step,
               at: datetime | None = None, *, extra: dict[str, Any] | None = None
               ) -> tuple[list[str], dict[str, ValidationFailed]]:
    """The same step on several cases (a lead's marked rows), each in its own transaction:
    (the refs that took it, ref -> why the others were refused)."""
    done: list[str] = []
    refused: dict[str, ValidationFailed] = {}
    for ref in refs:
        try:
            take_step(store, ref, actor, step, at, extra=extra)
            done.append(ref)
        except ValidationFailed as exc:
            refused[ref] = exc
    return done, refused


def _resolve_departments(session: Session, step: Step) -> Step:
    """Departments as typed (a name, alias or code) to catalogue codes."""
    catalogue = SessionCatalogue(session)
    problems: list[Problem] = []
    codes: list[str] = []
    for raw in [step.lead_department, *step.co_departments]:
        if not raw.strip():
            codes.append("")
            continue
        code = catalogue.department(raw)
        if code is None:
            problems.append(Problem("lead_department" if not codes else "co_departments",
                                    "department.unknown", {"value": raw.strip()}))
        codes.append(code or "")
    if problems:
        raise ValidationFailed(problems)
    return Step(step.action, note=step.note, lead_department=codes[0],
                co_departments=[c for c in dict.fromkeys(codes[1:]) if c])
