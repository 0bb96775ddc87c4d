"""Taking lifecycle steps from a screen (the case view, the lead review, the callback queue):
which dialog asks for what a step needs, and the write off the UI thread through
`models.cases.steps.take_steps`, which posts `StepTaken` (or `WriteFailed` with the refusal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen

from models.domain.lifecycle import Action, Step

from ..writes import write_off_thread
from .step_dialogs import AgentDialog, CallbackDialog, NoteDialog, ReturnDialog, StepInput

# Steps that need nothing but the key (the rules take them as they are).
IMMEDIATE = frozenset({Action.ACCEPT, Action.CLOSE, Action.APPROVE_EXTENSION})


@dataclass
class PickerSeed:
    """What the department picker dialog reads of the field that opened it."""

    departments: list[Any]
    lead: str = ""
    co: list[str] = field(default_factory=list)
    suggestions: Any = None


class StepTaken(Message):
    """A step was recorded on `done` cases (refs); `refused` maps the others to why."""

    def __init__(self, action: Action, done: list[str], refused: dict[str, Any],
                 states: dict[str, str]) -> None:
        super().__init__()
        self.action = action
        self.done = done
        self.refused = refused
        self.states = states  # ref -> the case's status after the step


def ask_step(screen: Screen, action: Action, answered: Callable[[Step | None], None], *,
             lead: str = "", co: list[str] | None = None, title: str = "",
             case_ref: str = "") -> None:
    """Open the dialog `action` needs and call `answered` with the Step (None: cancelled).
    `case_ref`: the one case the step is for, when it is one (a dispatch picker then offers
    the routing suggestions for a case that has no lead yet)."""
    app: Any = screen.app
    title = title or action.label(app.lang)
    if action in IMMEDIATE:
        answered(Step(action))
        return
    if action is Action.DISPATCH:
        from models.reference.views import departments

        from ..widgets.department_field import DepartmentPickerScreen

        seed = PickerSeed(departments(app.store), lead, list(co or []))

        def picked(choice: tuple[str, list[str]] | None) -> None:
            answered(Step(action, lead_department=choice[0], co_departments=list(choice[1]))
                     if choice and choice[0] else None)

        app.push_screen(DepartmentPickerScreen(seed, case_ref=case_ref),  # type: ignore[arg-type]
                        picked)
        return
    dialog: Any
    if action is Action.RETURN:
        dialog = ReturnDialog(title)
    elif action is Action.CALLBACK:
        dialog = CallbackDialog(title)
    elif action is Action.RESOLVE:
        dialog = NoteDialog(title, note_label="dialog.resolution")
    elif action is Action.SUPERVISE:
        dialog = NoteDialog(title, due="dialog.due")
    elif action is Action.EXTEND:
        dialog = NoteDialog(title, due="dialog.due_required")
    elif action in (Action.REOPEN, Action.REFUSE_EXTENSION):
        dialog = NoteDialog(title, note_label="dialog.note")
    else:  # progress, send back, note: a note is the step
        dialog = NoteDialog(title)

    def got(value: StepInput | None) -> None:
        if value is None:
            answered(None)
            return
        answered(Step(action, note=value.note, reason=value.reason,
                      satisfaction=value.satisfaction, due_at=value.due_at))

    app.push_screen(dialog, got)


def ask_agent(screen: Screen, n: int, answered: Callable[[str | None], None]) -> None:
    app: Any = screen.app
    app.push_screen(AgentDialog(app.t("dialog.assign_title", n=n)),
                    lambda v: answered(v.value if v else None))


def run_steps(node: DOMNode, refs: list[str], step: Step, *,
              extra: dict[str, Any] | None = None) -> None:
    """Take `step` on every case in `refs`, off the UI thread; posts StepTaken to `node`
    (one case refused alone: WriteFailed with its ValidationFailed, the message to show)."""
    from models.cases.steps import find_case, take_steps

    app: Any = node.app
    store, actor, at = app.store, app.actor(), app.clock()

    def write() -> Message:
        done, refused = take_steps(store, refs, actor, step, at, extra=extra)
        if refused and len(refs) == 1:
            raise refused[refs[0]]
        with store.session() as session:
            states = {ref: case.status for ref in done
                      if (case := find_case(session, ref)) is not None}
        return StepTaken(step.action, done, refused, states)

    write_off_thread(node, "step", write)
