"""Who may change what on the server: the one rule, asked by push for every field edit and every
event a terminal sends (`refusal`).

- Shift leads and admins may change any case.
- An agent may add a note, a repeat call or a callback to any case (callers call about any
  case), and may edit the fields of, or move through its lifecycle (dispatch, return, resolve,
  reopen, close), only a case they filed themselves.
- Supervision (督办) is a shift lead's act.
- `created` and `imported` events come only with the case itself, never later.

What each event kind does to a case's status is the timeline's (`models.cases.timeline`); the
full lifecycle (which step may follow which) is being written in `models/domain/lifecycle.py`,
and this rule should then ask it.
"""

from __future__ import annotations

from models.domain.enums import EventKind
from models.domain.messages import Problem
from models.store.tables import Case

from .auth import User

LEAD_ROLES = ("lead", "admin")
ANY_CASE = frozenset({EventKind.NOTE, EventKind.REPEAT_CALL, EventKind.CALLBACK})
LEADS_ONLY = frozenset({EventKind.SUPERVISED})
WITH_THE_CASE = frozenset({EventKind.CREATED, EventKind.IMPORTED})

FIELDS = "fields"  # the change a field edit (`case.fields.v1`) makes

def refusal(user: User, case: Case, change: str) -> Problem | None:
    """Why `user` may not make `change` (an event kind, or FIELDS) to `case`; None when they may."""
    if change in WITH_THE_CASE:
        return Problem("kind", "rule.not_an_event", {"kind": change})
    if user.role in LEAD_ROLES:
        return None
    if change in LEADS_ONLY:
        return Problem("kind", "rule.lead_only", {"kind": change})
    if change in ANY_CASE or case.agent == user.id:
        return None
    return Problem("agent", "rule.not_own_case",
                   {"case_no": case.case_no, "owner": case.agent or "?", "change": change})
