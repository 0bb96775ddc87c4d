"""F8: the callback queue (回访). Resolved cases whose caller has not been asked yet, the oldest
resolution first; the agent works it call by call: the number to ring and what was done are on
top, the answer is one key (1 satisfied, 2 basically satisfied, 3 not satisfied: the case
reopens), an optional note, Enter; the next call comes up."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static

from models.domain.enums import Satisfaction
from models.domain.lifecycle import Action, Step
from models.domain.phone import Phone

from ..actions import bindings
from ..display import clip_name, literal, plain, short_time
from ..reads import store_read
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from ..writes import WriteFailed
from .base import HotlineScreen
from .steps_ui import StepTaken, run_steps


class CallbackScreen(HotlineScreen[None]):
    DEFAULT_CSS = """
    CallbackScreen #cb-title { height: 1; padding: 0 1; text-style: bold; }
    CallbackScreen #cb-current { height: auto; max-height: 8; padding: 0 1;
                                 border: round $accent; }
    CallbackScreen #cb-note { height: 1; border: none; padding: 0 1; background: $boost; }
    CallbackScreen #cb-list { height: 1fr; }
    CallbackScreen #cb-status { dock: bottom; height: 1; padding: 0 1; color: $text-muted; }
    """
    SCOPE = "callbacks"
    BINDINGS = bindings(SCOPE)

    def __init__(self) -> None:
        super().__init__()
        self.cases: list = []
        self.assignees: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.answer_value = ""

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="cb-title")
        yield Static(id="cb-current")
        yield Input(placeholder=self.app.t("callbacks.note"), id="cb-note")
        yield DataTable(id="cb-list", cursor_type="row", zebra_stripes=True)
        yield KeyBar()
        yield Static(id="cb-status")

    def on_mount(self) -> None:
        self.query_one("#cb-status").display = False
        self.load()
        self.query_one("#cb-list").focus()

    @work(thread=True, exclusive=True, group="callbacks")
    @store_read
    def load(self) -> None:
        from models.cases.lead_review import callback_assignees, queue_cases
        from models.reference.views import department_labels

        with self.app.store.session() as s:
            cases = queue_cases(s, "callbacks_due", self.app.clock(), limit=500)
            assignees = callback_assignees(s, [c.id for c in cases])
        labels = department_labels(self.app.store, self.app.lang)
        self.app.call_from_thread(self._show, cases, assignees, labels)

    def _show(self, cases: list, assignees: dict[str, str], labels: dict[str, str]) -> None:
        self.cases, self.assignees, self.labels = cases, assignees, labels
        self.query_one("#cb-title", Static).update(
            Text(self.app.t("callbacks.title", n=len(cases))))
        table = self.query_one("#cb-list", DataTable)
        table.clear(columns=True)
        t = self.app.t
        for key, width in (("col.case_no", 16), ("callbacks.resolved_at", 11),
                           ("col.department", 10), ("col.summary", None)):
            table.add_column(t(key), width=width)
        for case in cases:
            table.add_row(literal(case.case_no),
                          Text(short_time(case.resolved_at) if case.resolved_at else ""),
                          clip_name(labels.get(case.lead_department, case.lead_department), 10),
                          literal(case.title or case.description), key=case.id)
        self._show_current()

    def current(self):
        table = self.query_one("#cb-list", DataTable)
        if not self.cases or table.cursor_row is None or table.cursor_row >= len(self.cases):
            return None
        return self.cases[table.cursor_row]

    @on(DataTable.RowHighlighted, "#cb-list")
    def _moved(self, _event: DataTable.RowHighlighted) -> None:
        self._show_current()

    def _show_current(self) -> None:
        box = self.query_one("#cb-current", Static)
        case = self.current()
        if case is None:
            box.update(Text(self.app.t("callbacks.empty")))
            return
        t = self.app.t
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        phone = Phone(case.caller_phone, False).display() if case.caller_phone else ""
        call = Text(phone, style="bold reverse")
        call.append("  ")
        call.append_text(literal(case.caller_name))
        call.append("  " + plain(case.case_no))
        grid.add_row(t("callbacks.call"), call)
        grid.add_row(t("field.description"), literal(case.description))
        grid.add_row(t("callbacks.done_what"), literal(case.resolution))
        if case.id in self.assignees:
            grid.add_row(t("callbacks.assigned"), literal(self.assignees[case.id]))
        line = Text()
        for key, value in (("1", Satisfaction.SATISFIED), ("2", Satisfaction.BASICALLY_SATISFIED),
                           ("3", Satisfaction.UNSATISFIED)):
            style = "bold reverse" if value.value == self.answer_value else "bold"
            line.append(f" {key} ", style="reverse")
            line.append(f" {value.label(self.app.lang)}  ", style=style if
                        value.value == self.answer_value else "")
        grid.add_row("", line)
        box.update(grid)

    def action_answer(self, value: str) -> None:
        if self.current() is None:
            return
        self.answer_value = value
        self._show_current()
        self.query_one("#cb-note", Input).focus()

    @on(Input.Submitted, "#cb-note")
    def _record(self, event: Input.Submitted) -> None:
        case = self.current()
        if case is None:
            return
        if not self.answer_value:
            self._status(self.app.t("dialog.choose_first"), error=True)
            return
        self.recording = (case.case_no, self.answer_value)
        run_steps(self, [case.id], Step(Action.CALLBACK, satisfaction=self.answer_value,
                                        note=event.value))

    def on_step_taken(self, message: StepTaken) -> None:
        case_no, answer = self.recording
        self._status(self.app.t("callbacks.recorded", case_no=case_no,
                                answer=Satisfaction.label_for(answer, self.app.lang)))
        self.answer_value = ""
        note = self.query_one("#cb-note", Input)
        note.value = ""
        self.query_one("#cb-list").focus()
        self.app.on_case_saved()
        self.load()

    def on_write_failed(self, message: WriteFailed) -> None:
        self._status(message.sentence(self.app), error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#cb-status", Static)
        status.update(Text(text, style="bold red" if error else ""))
        status.display = bool(text)

    def action_back(self) -> None:
        note = self.query_one("#cb-note", Input)
        if note.has_focus:
            self.answer_value = ""
            self._show_current()
            self.query_one("#cb-list").focus()
            return
        self.app.pop_screen()
