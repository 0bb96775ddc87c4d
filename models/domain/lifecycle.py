"""The work order's lifecycle: which step may follow which, who may take it, and what it does.

One place for the rules, shared by the terminal (before a step is queued: `hotline act`, the case
view, the lead review) and the server (again, when the step arrives). A case moves:

    open (awaiting dispatch) --dispatch--> dispatched --accept--> in_progress --resolve--> resolved
    dispatched / in_progress --return (reason)--> returned (waits for a lead's review)
    returned --dispatch (to another department: 改派)--> dispatched
    returned --send_back (same department, with a note)--> dispatched
    resolved --callback satisfied / basically satisfied--> closed
    resolved --callback not satisfied--> in_progress (reopened: back to the department)
    resolved --close--> closed;  resolved / closed --reopen--> in_progress

and, without moving it: progress reports, supervision (督办, by a lead, optionally with a new
deadline), deadline extensions (requested by the department, approved or refused by a lead),
reminders (催办, the day after a missed deadline) and notes.

A step is checked against the case's state as a `CaseState` (read from the table row or the
wire case) and applied as an event: `step_event` says which event kind and data record it, and
`apply_event` is the one function that moves a case's fields for an event, whoever recorded it.
Every refusal is a `Problem` naming the case's state and the steps it allows, in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .enums import EventKind, Labelled, Satisfaction, Status
from .messages import Problem, ValidationFailed
from .text import clean_text

MAX_STEP_NOTE = 2_000


class Action(Labelled):
    """A step a person (or the system) takes on a case."""

    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    SEND_BACK = "send_back"
    PROGRESS = "progress"
    RESOLVE = "resolve"
    CALLBACK = "callback"
    REOPEN = "reopen"
    CLOSE = "close"
    SUPERVISE = "supervise"
    EXTEND = "extend"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    REMIND = "remind"
    NOTE = "note"


class ReturnReason(Labelled):
    NOT_OUR_JURISDICTION = "not_our_jurisdiction"
    OVERLAPPING_DUTIES = "overlapping_duties"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"
    DEPARTMENT = "department"
    SYSTEM = "system"  # the server's own steps (reminders)


LEADS = frozenset({Role.LEAD, Role.ADMIN})
OPEN_WORK = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})  # a department holds it
ACTIVE = frozenset({Status.OPEN, Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED})


@dataclass(frozen=True)
class Rule:
    """When an action is allowed: from which states, by which roles, and whether a department
    must be the case's lead department (co-handling departments may report progress)."""

    states: frozenset[Status]
    roles: frozenset[Role]
    own_department: bool = False  # a department user only on its own orders


_DEPT_OR_LEAD = frozenset({Role.DEPARTMENT, *LEADS})
_PEOPLE = frozenset({Role.AGENT, *LEADS})

RULES: dict[Action, Rule] = {
    Action.DISPATCH: Rule(frozenset({Status.OPEN, Status.RETURNED}), _PEOPLE),
    Action.ACCEPT: Rule(frozenset({Status.DISPATCHED}), _DEPT_OR_LEAD, own_department=True),
    Action.RETURN: Rule(OPEN_WORK, _DEPT_OR_LEAD, own_department=True),
    Action.SEND_BACK: Rule(frozenset({Status.RETURNED}), LEADS),
    Action.PROGRESS: Rule(OPEN_WORK, _DEPT_OR_LEAD, own_department=True),
    Action.RESOLVE: Rule(OPEN_WORK, _DEPT_OR_LEAD, own_department=True),
    Action.CALLBACK: Rule(frozenset({Status.RESOLVED}), _PEOPLE),
    Action.REOPEN: Rule(frozenset({Status.RESOLVED, Status.CLOSED}), _PEOPLE),
    Action.CLOSE: Rule(frozenset({Status.RESOLVED}), _PEOPLE),
    Action.SUPERVISE: Rule(ACTIVE, LEADS),
    Action.EXTEND: Rule(OPEN_WORK, _DEPT_OR_LEAD, own_department=True),
    Action.APPROVE_EXTENSION: Rule(OPEN_WORK, LEADS),
    Action.REFUSE_EXTENSION: Rule(OPEN_WORK, LEADS),
    Action.REMIND: Rule(OPEN_WORK, frozenset({Role.SYSTEM, *LEADS})),
    Action.NOTE: Rule(frozenset(Status), frozenset({Role.AGENT, Role.DEPARTMENT, *LEADS})),
}

# The event each action records (a dispatch from `returned` is a re-dispatch, 改派).
EVENT_OF: dict[Action, EventKind] = {
    Action.DISPATCH: EventKind.DISPATCHED, Action.ACCEPT: EventKind.ACCEPTED,
    Action.RETURN: EventKind.RETURNED, Action.SEND_BACK: EventKind.SENT_BACK,
    Action.PROGRESS: EventKind.PROGRESS, Action.RESOLVE: EventKind.RESOLVED,
    Action.CALLBACK: EventKind.CALLBACK, Action.REOPEN: EventKind.REOPENED,
    Action.CLOSE: EventKind.CLOSED, Action.SUPERVISE: EventKind.SUPERVISED,
    Action.EXTEND: EventKind.EXTENSION_REQUESTED,
    Action.APPROVE_EXTENSION: EventKind.EXTENSION_APPROVED,
    Action.REFUSE_EXTENSION: EventKind.EXTENSION_REFUSED, Action.REMIND: EventKind.REMINDED,
    Action.NOTE: EventKind.NOTE,
}


@dataclass(frozen=True)
class CaseState:
    """What the rules read of a case (from the table row, the wire case or a test)."""

    status: str
    lead_department: str = ""
    co_departments: tuple[str, ...] = ()
    address: str = ""
    due_at: datetime | None = None
    extension_due_at: datetime | None = None  # a department's request, waiting for a lead

    @classmethod
    def of(cls, case: Any) -> CaseState:
        return cls(status=case.status, lead_department=case.lead_department,
                   co_departments=tuple(case.co_departments), address=case.address,
                   due_at=case.due_at, extension_due_at=getattr(case, "extension_due_at", None))


@dataclass(frozen=True)
class Actor:
    """Who takes a step: their id, role and (for a department user) the department."""

    user: str
    role: Role
    department: str = ""


@dataclass
class Step:
    """One step as a person asks for it (values as given; `check_step` cleans them)."""

    action: Action
    note: str = ""
    reason: str = ""  # a ReturnReason (return)
    satisfaction: str = ""  # a Satisfaction (callback)
    lead_department: str = ""  # dispatch: a catalogue code
    co_departments: list[str] = field(default_factory=list)
    due_at: datetime | None = None  # supervise (optional), extend (required)


def allowed_actions(state: CaseState, actor: Actor) -> list[Action]:
    """The steps this person may take on a case in this state, in the order a menu shows them."""
    return [a for a, rule in RULES.items() if a is not Action.REMIND and _permits(rule, state, actor)]


def _permits(rule: Rule, state: CaseState, actor: Actor) -> bool:
    if Status(state.status) not in rule.states or actor.role not in rule.roles:
        return False
    if actor.role is Role.DEPARTMENT and rule.own_department:
        return actor.department == state.lead_department or (
            actor.department in state.co_departments and rule is RULES[Action.PROGRESS])
    return True


def check_step(state: CaseState, actor: Actor, step: Step) -> Step:
    """The step, cleaned, if the case's state and the actor's role allow it and it carries what
    it needs; else ValidationFailed naming the state and the allowed steps (or the missing value)."""
    rule = RULES[step.action]
    if not _permits(rule, state, actor):
        allowed = allowed_actions(state, actor)
        problem = ("step.not_allowed_role" if Status(state.status) in rule.states
                   else "step.not_allowed")
        raise ValidationFailed([Problem("action", problem, {
            "action": step.action, "state": Status(state.status), "role": actor.role.value,
            "allowed": allowed or "-"})])
    cleaned = Step(step.action, note=clean_text(step.note), reason=step.reason.strip(),
                   satisfaction=step.satisfaction.strip(), lead_department=step.lead_department,
                   co_departments=[c for c in step.co_departments if c], due_at=step.due_at)
    problems = _needs(state, cleaned)
    if problems:
        raise ValidationFailed(problems)
    return cleaned


def _needs(state: CaseState, step: Step) -> list[Problem]:
    """What each step must carry."""
    problems: list[Problem] = []
    if len(step.note) > MAX_STEP_NOTE:
        problems.append(Problem("note", "note.too_long", {"length": len(step.note), "limit": MAX_STEP_NOTE}))
    a = step.action
    if a in (Action.PROGRESS, Action.SUPERVISE, Action.SEND_BACK, Action.NOTE, Action.EXTEND) \
            and not step.note:
        problems.append(Problem("note", "step.note_required", {"action": a}))
    if a is Action.RESOLVE and not step.note:
        problems.append(Problem("note", "step.resolution_required"))
    if a is Action.RETURN:
        if step.reason not in ReturnReason.values():
            problems.append(Problem("reason", "step.reason_required", {"value": step.reason}))
        elif step.reason == ReturnReason.OTHER and not step.note:
            problems.append(Problem("note", "step.note_required", {"action": a}))
    if a is Action.CALLBACK and step.satisfaction not in Satisfaction.values():
        problems.append(Problem("satisfaction", "step.satisfaction_required", {"value": step.satisfaction}))
    if a is Action.DISPATCH:
        if not step.lead_department:
            problems.append(Problem("lead_department", "department.required"))
        elif step.lead_department in step.co_departments:
            problems.append(Problem("co_departments", "department.duplicate", {"value": step.lead_department}))
        if not state.address:
            problems.append(Problem("address", "address.required"))
    if a is Action.EXTEND:
        if step.due_at is None:
            problems.append(Problem("due_at", "step.due_required"))
        elif state.due_at is not None and step.due_at <= state.due_at:
            problems.append(Problem("due_at", "step.due_not_later", {"due": state.due_at.isoformat()}))
    if a is Action.APPROVE_EXTENSION and state.extension_due_at is None:
        problems.append(Problem("action", "step.no_extension"))
    if a is Action.REFUSE_EXTENSION and state.extension_due_at is None:
        problems.append(Problem("action", "step.no_extension"))
    return problems


def step_event(state: CaseState, actor: Actor, step: Step) -> tuple[EventKind, dict[str, Any]]:
    """The event kind and data that record a checked step (the timeline keeps who and when)."""
    kind = EVENT_OF[step.action]
    data: dict[str, Any] = {"role": actor.role.value}
    if actor.department:
        data["department"] = actor.department
    if step.action is Action.DISPATCH:
        if Status(state.status) is Status.RETURNED:
            kind = EventKind.REDISPATCHED
            data["from"] = state.lead_department
        data["lead_department"] = step.lead_department
        data["co_departments"] = list(step.co_departments)
    elif step.action is Action.RETURN:
        data["reason"] = step.reason
        data["department"] = state.lead_department
    elif step.action is Action.SEND_BACK:
        data["department"] = state.lead_department
    elif step.action is Action.CALLBACK:
        data["satisfaction"] = step.satisfaction
    elif step.action in (Action.SUPERVISE, Action.EXTEND) and step.due_at is not None:
        data["due_at"] = step.due_at.isoformat()
    elif step.action is Action.APPROVE_EXTENSION and state.extension_due_at is not None:
        data["due_at"] = state.extension_due_at.isoformat()
    elif step.action is Action.REMIND and state.due_at is not None:
        data["due_at"] = state.due_at.isoformat()
    return kind, data


_ACTION_OF = {kind: action for action, kind in EVENT_OF.items()} | {
    EventKind.REDISPATCHED: Action.DISPATCH}


def step_of_event(kind: str, data: dict[str, Any], note: str) -> Step | None:
    """The step an event records, read back from the event (the server checks a pushed event
    as the step it is); None for events that are not steps (created, repeat call, imported)."""
    action = _ACTION_OF.get(EventKind(kind)) if kind in EventKind.values() else None
    if action is None:
        return None
    due = data.get("due_at")
    try:
        due_at = datetime.fromisoformat(due) if isinstance(due, str) and due else None
    except ValueError:
        due_at = None
    return Step(action, note=note, reason=str(data.get("reason", "")),
                satisfaction=str(data.get("satisfaction", "")),
                lead_department=str(data.get("lead_department", "")),
                co_departments=[str(c) for c in data.get("co_departments") or []],
                due_at=due_at if action in (Action.SUPERVISE, Action.EXTEND) else None)


@dataclass
class Effect:
    """What an event changes on its case (fields to set, counters to add)."""

    fields: dict[str, Any] = field(default_factory=dict)
    supervised: int = 0
    repeat_calls: int = 0


def event_effect(kind: str, data: dict[str, Any], note: str, at: datetime,
                 status: str) -> Effect:
    """The one rule for how an event moves its case, on the terminal and on the server."""
    e = Effect()
    f = e.fields
    if kind in (EventKind.DISPATCHED, EventKind.REDISPATCHED):
        f.update(status=Status.DISPATCHED.value, return_reason="")
        if data.get("lead_department"):
            f["lead_department"] = data["lead_department"]
            f["co_departments"] = list(data.get("co_departments") or [])
        if data.get("due_at"):
            f["due_at"] = datetime.fromisoformat(data["due_at"])
    elif kind == EventKind.SENT_BACK:
        f.update(status=Status.DISPATCHED.value, return_reason="")
    elif kind == EventKind.ACCEPTED:
        f["status"] = Status.IN_PROGRESS.value
    elif kind == EventKind.RETURNED:
        f["status"] = Status.RETURNED.value
        f["return_reason"] = str(data.get("reason", ""))
    elif kind == EventKind.RESOLVED:
        f.update(status=Status.RESOLVED.value, resolved_at=at, resolution=note)
    elif kind == EventKind.CALLBACK:
        satisfaction = str(data.get("satisfaction", ""))
        f["satisfaction"] = satisfaction
        if status == Status.RESOLVED:  # a callback on a resolved case decides its end
            f["status"] = (Status.IN_PROGRESS.value if satisfaction == Satisfaction.UNSATISFIED
                           else Status.CLOSED.value)
    elif kind == EventKind.REOPENED:
        f.update(status=Status.IN_PROGRESS.value, satisfaction="")
    elif kind == EventKind.CLOSED:
        f["status"] = Status.CLOSED.value
    elif kind == EventKind.SUPERVISED:
        e.supervised = 1
        if data.get("due_at"):
            f["due_at"] = datetime.fromisoformat(data["due_at"])
    elif kind == EventKind.EXTENSION_REQUESTED:
        f["extension_due_at"] = datetime.fromisoformat(data["due_at"]) if data.get("due_at") else None
    elif kind == EventKind.EXTENSION_APPROVED:
        if data.get("due_at"):
            f["due_at"] = datetime.fromisoformat(data["due_at"])
        f["extension_due_at"] = None
    elif kind == EventKind.EXTENSION_REFUSED:
        f["extension_due_at"] = None
    elif kind == EventKind.REPEAT_CALL:
        e.repeat_calls = 1
    return e
