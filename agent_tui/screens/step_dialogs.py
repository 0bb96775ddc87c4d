"""Small typed dialogs for lifecycle steps: each asks only for what its step needs and
dismisses with a `StepInput` (or None on Esc). The rules (what a step must carry) stay in
`models.domain.lifecycle.check_step`; a dialog only gathers the values.

- `NoteDialog`: a note (required or not), optionally a deadline (supervise, extend);
- `ReturnDialog`: a reason from the catalogue's list, and a note;
- `CallbackDialog`: the caller's answer in one key (1 / 2 / 3) and an optional note;
- `FieldDialog`: a field to correct and its new value (the field-edit mutation);
- `AgentDialog`: who makes the callbacks a lead assigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from models.domain.enums import Satisfaction
from models.domain.lifecycle import ReturnReason

from ..actions import bindings
from ..display import literal
from .base import HotlineModal


@dataclass
class StepInput:
    """What a dialog gathered (only the parts its step needs are set)."""

    note: str = ""
    reason: str = ""
    satisfaction: str = ""
    due_at: datetime | None = None
    field: str = ""
    value: str = ""


def parse_due(raw: str) -> datetime:
    """A deadline as typed: a date (the end of its working day, 18:00) or a date and time."""
    from models.domain.timeutil import DateParser

    at = DateParser()(raw)
    if at.time() == time(0, 0) and len(raw.strip()) <= 10:
        at = at.replace(hour=18)
    return at


class StepDialog(HotlineModal[StepInput | None]):
    """The frame every step dialog shares: a title, its inputs, a hint line, a problem line."""

    DEFAULT_CSS = """
    StepDialog { align: center middle; }
    StepDialog > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    StepDialog .dialog-title { text-style: bold; height: auto; }
    StepDialog .dialog-label { color: $text-muted; height: 1; margin-top: 1; }
    StepDialog .dialog-hint { color: $text-muted; height: 1; margin-top: 1; }
    StepDialog .dialog-problem { color: $error; height: auto; }
    StepDialog OptionList, StepDialog OptionList:focus { height: auto; max-height: 8;
                                                         border: none; padding: 0; }
    StepDialog Input, StepDialog Input:focus { border: none; height: 1; padding: 0 1;
                                               background: $boost; }
    """
    SCOPE = "step_dialog"
    BINDINGS = bindings(SCOPE)
    HINT = "dialog.keys"

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(self.title_text), classes="dialog-title")
            yield from self.body()
            yield Static(Text(self.app.t(self.HINT)), classes="dialog-hint")
            yield Static(id="dialog-problem", classes="dialog-problem")

    def body(self) -> ComposeResult:
        yield from ()

    def label(self, key: str) -> Static:
        return Static(Text(self.app.t(key)), classes="dialog-label")

    def problem(self, text: str) -> None:
        self.query_one("#dialog-problem", Static).update(Text(text))

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteDialog(StepDialog):
    """A note, required or not, and for supervise / extend a deadline."""

    def __init__(self, title: str, *, note_label: str = "dialog.note_required",
                 due: str = "") -> None:
        super().__init__(title)
        self.note_label = note_label
        self.due = due  # "" no deadline asked; "dialog.due" optional; "dialog.due_required"

    def body(self) -> ComposeResult:
        yield self.label(self.note_label)
        yield Input(id="dialog-note")
        if self.due:
            yield self.label(self.due)
            yield Input(id="dialog-due")

    def on_mount(self) -> None:
        self.query_one("#dialog-note").focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "dialog-note" and self.due:
            self.query_one("#dialog-due").focus()
            return
        note = self.query_one("#dialog-note", Input).value
        due_at = None
        if self.due:
            raw = self.query_one("#dialog-due", Input).value.strip()
            if raw:
                try:
                    due_at = parse_due(raw)
                except ValueError:
                    self.problem(self.app.t("dialog.bad_due", value=raw))
                    return
        self.dismiss(StepInput(note=note, due_at=due_at))


class ReturnDialog(StepDialog):
    """A return: the reason from the list (↑↓), then a note (required for "other")."""

    HINT = "dialog.keys_choice"

    def body(self) -> ComposeResult:
        yield self.label("dialog.reason")
        yield OptionList(*[Option(Text(r.label(self.app.lang)), id=r.value) for r in ReturnReason],
                         id="dialog-choice")
        yield self.label("dialog.note")
        yield Input(id="dialog-note")

    def on_mount(self) -> None:
        choice = self.query_one("#dialog-choice", OptionList)
        choice.highlighted = 0
        choice.focus()

    @on(OptionList.OptionSelected, "#dialog-choice")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#dialog-note").focus()

    @on(Input.Submitted, "#dialog-note")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        choice = self.query_one("#dialog-choice", OptionList)
        reason = list(ReturnReason)[choice.highlighted or 0].value
        self.dismiss(StepInput(reason=reason, note=event.value))


SATISFACTION_KEYS = {"1": Satisfaction.SATISFIED, "2": Satisfaction.BASICALLY_SATISFIED,
                     "3": Satisfaction.UNSATISFIED}


class CallbackDialog(StepDialog):
    """The caller's answer in one key (1 satisfied, 2 basically, 3 not satisfied: the case
    reopens), an optional note, Enter."""

    AUTO_FOCUS = "#dialog-chosen"  # nothing focusable: 1 / 2 / 3 reach the dialog, not the box
    BINDINGS = [*StepDialog.BINDINGS,
                *(Binding(k, f"answer('{v.value}')", show=False) for k, v in SATISFACTION_KEYS.items())]

    def body(self) -> ComposeResult:
        lang = self.app.lang
        line = Text()
        for key, value in SATISFACTION_KEYS.items():
            line.append(f" {key} ", style="bold reverse")
            line.append(f" {value.label(lang)}   ")
        yield self.label("dialog.satisfaction")
        yield Static(line)
        yield Static(id="dialog-chosen")
        yield self.label("dialog.note")
        yield Input(id="dialog-note")
        self.answer_value = ""

    def action_answer(self, value: str) -> None:
        self.answer_value = value
        self.query_one("#dialog-chosen", Static).update(Text(self.app.t(
            "dialog.chosen", value=Satisfaction(value).label(self.app.lang)), style="bold"))
        self.problem("")
        self.query_one("#dialog-note").focus()

    @on(Input.Submitted, "#dialog-note")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.answer_value:
            self.problem(self.app.t("dialog.choose_first"))
            return
        self.dismiss(StepInput(satisfaction=self.answer_value, note=event.value))


# The fields an agent or lead corrects from the case view (the edit mutation allows more).
CORRECTABLE = ("address", "category", "caller_name", "caller_phone", "description", "urgency",
               "location_kind")


class FieldDialog(StepDialog):
    """A field to correct (↑↓) and its new value, prefilled with the current one."""

    HINT = "dialog.keys_choice"

    def __init__(self, title: str, current: dict[str, str]) -> None:
        super().__init__(title)
        self.current = current

    def body(self) -> ComposeResult:
        yield self.label("dialog.field")
        yield OptionList(*[Option(Text(self.app.t(f"field.{f}")), id=f) for f in CORRECTABLE],
                         id="dialog-choice")
        yield self.label("dialog.value")
        yield Input(id="dialog-value")

    def on_mount(self) -> None:
        choice = self.query_one("#dialog-choice", OptionList)
        choice.highlighted = 0
        choice.focus()

    @on(OptionList.OptionHighlighted, "#dialog-choice")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        value = self.query_one("#dialog-value", Input)
        value.value = self.current.get(str(event.option.id), "")

    @on(OptionList.OptionSelected, "#dialog-choice")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#dialog-value").focus()

    @on(Input.Submitted, "#dialog-value")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        choice = self.query_one("#dialog-choice", OptionList)
        field = CORRECTABLE[choice.highlighted or 0]
        self.dismiss(StepInput(field=field, value=event.value))


class AgentDialog(StepDialog):
    """Who makes the callbacks (an agent's name or id)."""

    def body(self) -> ComposeResult:
        yield self.label("dialog.agent")
        yield Input(id="dialog-agent")

    def on_mount(self) -> None:
        self.query_one("#dialog-agent").focus()

    @on(Input.Submitted, "#dialog-agent")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(StepInput(value=event.value.strip()))


class DaysDialog(StepDialog):
    """A custom period for the scoreboard: how many days back (1 to 3650)."""

    def body(self) -> ComposeResult:
        yield self.label("dialog.days")
        yield Input(id="dialog-days", type="integer")

    def on_mount(self) -> None:
        self.query_one("#dialog-days").focus()

    @on(Input.Submitted, "#dialog-days")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            days = int(event.value)
        except ValueError:
            days = 0
        if not 1 <= days <= 3650:
            self.problem(self.app.t("dialog.bad_days", value=event.value))
            return
        self.dismiss(StepInput(value=str(days)))
