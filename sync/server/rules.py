"""Who may change what on the server: the one rule, asked by push for every event and field
edit a terminal sends, by the department API and by the reminders.

- A lifecycle step (every event kind that records one: dispatch, accept, return, progress,
  resolve, callback, reopen, close, supervise, extension, note ...) is checked by
  `models.domain.lifecycle.check_step`, the same rule the terminal asked before queueing it:
  the actor (user, role, department) comes from the token, the case's state from the server's
  database. A refusal names the case's state and the steps it allows.
- `created` and `imported` events come only with the case itself, never later.
- A repeat call may be added by any of the hotline's people (not a department).
- Field edits (`case.fields.v1`): shift leads and admins on any case, an agent only on a case
  they filed; a department never (it reports progress and resolves through its steps).
"""

from __future__ import annotations

from models.domain.enums import EventKind
from models.domain.lifecycle import Actor, CaseState, Role, Step, check_step
from models.domain.messages import Problem
from models.store.tables import Case

from .auth import User

LEAD_ROLES = ("lead", "admin")
WITH_THE_CASE = frozenset({EventKind.CREATED, EventKind.IMPORTED})
NOT_STEPS = frozenset({EventKind.REPEAT_CALL})  # events that record no lifecycle step

FIELDS = "fields"  # the change a field edit (`case.fields.v1`) makes
SYSTEM = Actor("system", Role.SYSTEM)  # the server's own steps (reminders)


def actor_of(user: User) -> Actor:
    """The lifecycle's actor for a signed-in user: id, role and department from the token."""
    return Actor(user.id, Role(user.role), user.department)


def refusal(user: User, case: Case, change: str) -> Problem | None:
    """Why `user` may not make `change` (an event kind that is no step, or FIELDS) to `case`;
    None when they may. Steps are `check`'s."""
    if change in WITH_THE_CASE:
        return Problem("kind", "rule.not_an_event", {"kind": change})
    if user.role == Role.DEPARTMENT:
        return Problem("kind", "step.not_allowed_role", {
            "action": change, "state": case.status, "role": user.role, "allowed": "-"})
    if user.role in LEAD_ROLES:
        return None
    if change in NOT_STEPS or case.agent == user.id:
        return None
    return Problem("agent", "rule.not_own_case",
                   {"case_no": case.case_no, "owner": case.agent or "?", "change": change})


def check(actor: Actor, case: Case, step: Step) -> Step:
    """The step, cleaned, when this actor may take it on the case as the server has it; else
    ValidationFailed naming the state and the allowed steps (lifecycle.check_step)."""
    return check_step(CaseState.of(case), actor, step)
