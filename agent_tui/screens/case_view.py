"""One case: its fields and its timeline; the agent adds notes and takes the lifecycle steps here
(written off the UI thread: "Saving…" shows while the store's write lock is busy, and typing
goes on).

The step keys (`agent_tui.actions`, scope `case_view`) are all bound; the key bar shows only
those `models.domain.lifecycle.allowed_actions` gives for the case's state and the user's role,
and any other key is refused on the status line with the state and the allowed steps named
(`check_step`'s own message). Each step asks for what it needs in a small dialog
(`steps_ui.ask_step`); `f` corrects a field (the field-edit mutation, `models.cases.edits`)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from sqlmodel import select
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from models.domain.enums import Disposition, EventKind, LocationKind, Satisfaction, Status, Urgency
from models.domain.lifecycle import Action, CaseState, ReturnReason, Step, allowed_actions
from models.domain.phone import Phone
from models.reference.catalogue import category_label, department_label
from models.store.tables import Case, CaseEvent, Category, Department

from ..actions import bindings
from ..display import full_time, literal, plain
from ..widgets.key_bar import KeyBar
from ..widgets.paged_text import TextPages
from ..widgets.title_bar import TitleBar
from ..writes import WriteFailed, write_off_thread
from .base import HotlineScreen
from .steps_ui import StepTaken, ask_step, run_steps


class NoteAdded(Message):
    """A note is on the case's timeline (posted by the note's write)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class FieldCorrected(Message):
    """A field correction was written (`changed`: False when the value was the same)."""

    def __init__(self, label: str, changed: bool) -> None:
        super().__init__()
        self.label = label
        self.changed = changed


class CaseViewScreen(HotlineScreen[None]):
    DEFAULT_CSS = """
    CaseViewScreen #case-status { dock: bottom; height: 1; padding: 0 1; color: $text-muted; }
    """
    SCOPE = "case_view"
    BINDINGS = bindings(SCOPE)

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.pages = TextPages("")  # the description, a page at a time
        self._shown: tuple = ()  # what the fields were drawn from (paging redraws them)
        self.case: Case | None = None
        self.allowed: list[Action] = []

    def shows_on_bar(self, action_id: str) -> bool:
        """The key bar shows the steps the case's state and the user's role allow, and the rest."""
        if action_id == "step_edit":
            return True
        if action_id.startswith("step_"):
            return Action(action_id[len("step_"):]) in self.allowed
        return True

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="case-body"):
            yield Static(id="case-fields")
            yield Static(id="case-timeline")
        yield Input(placeholder=self.app.t("case.note_placeholder"), id="note")
        yield KeyBar()
        yield Static(id="case-status")

    def on_mount(self) -> None:
        self.query_one("#note").display = False
        self.query_one("#case-status").display = False
        self.reload()
        self.query_one("#case-body").focus()

    def reload(self) -> None:
        from models.cases import timeline

        with self.app.store.session() as session:
            case = session.get(Case, self.case_id)
            departments = {d.code: d for d in session.exec(select(Department)).all()}
            category = session.get(Category, case.category) if case and case.category else None
        if case is None:
            self.app.pop_screen()
            return
        if self.pages.text != case.description:
            self.pages = TextPages(case.description)
        self._shown = (case, departments, category)
        self.case = case
        self.allowed = allowed_actions(CaseState.of(case), self.app.actor())
        self.refresh_bindings()  # the allowed steps, and paging keys for a long text
        self.query_one("#case-fields", Static).update(self._fields(case, departments, category))
        self.query_one("#case-timeline", Static).update(self._timeline(timeline(self.app.store, case.id)))

    def _dept(self, code: str, departments: dict[str, Department]) -> str:
        dept = departments.get(code)
        return department_label(dept, self.app.lang) if dept else code

    def _fields(self, case: Case, departments: dict[str, Department],
                category: Category | None) -> Table:
        lang = self.app.lang
        label = lambda f: self.app.t(f"field.{f}")  # noqa: E731
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        title = Text(self.app.t("case.title", case_no=plain(case.case_no)), style="bold")
        title.append("  " + Status(case.status).label(lang), style="reverse")
        grid.add_row(Text(""), title)
        phone = (Text(self.app.t("case.withheld")) if case.caller_withheld or not case.caller_phone
                 else Text(Phone(case.caller_phone, False).display()))
        grid.add_row(label("caller_phone"), phone + Text("  ") + literal(case.caller_name))
        grid.add_row(label("address"), literal(case.address))
        grid.add_row(label("description"), self.pages.render(self.app.t(
            "case.page", n=f"{self.pages.index + 1:,}", total=f"{self.pages.count:,}")))
        grid.add_row(label("category"), literal(category_label(category, lang) if category else case.category))
        grid.add_row(label("location_kind"), Text(LocationKind.label_for(case.location_kind, lang)))
        grid.add_row(label("urgency"), Text(Urgency.label_for(case.urgency, lang)))
        grid.add_row(label("disposition"), Text(Disposition.label_for(case.disposition, lang)))
        depts = self._dept(case.lead_department, departments)
        if case.co_departments:
            depts += " + " + ", ".join(self._dept(c, departments) for c in case.co_departments)
        grid.add_row(label("lead_department"), literal(depts, one_line=False))
        if case.due_at:
            grid.add_row(self.app.t("case.due"), Text(full_time(case.due_at)))
        if case.extension_due_at:
            grid.add_row(self.app.t("case.extension"), Text(full_time(case.extension_due_at)))
        if case.repeat_count:
            grid.add_row(self.app.t("case.repeat_calls"), Text(str(case.repeat_count)))
        if case.supervised_count:
            grid.add_row(self.app.t("case.supervised"), Text(str(case.supervised_count)))
        if case.return_reason:
            grid.add_row(self.app.t("case.return_reason"),
                         literal(ReturnReason.label_for(case.return_reason, lang)))
        if case.resolution:
            grid.add_row(self.app.t("case.resolution"), literal(case.resolution, one_line=False))
        if case.satisfaction:
            grid.add_row(self.app.t("case.satisfaction"),
                         literal(Satisfaction.label_for(case.satisfaction, lang)))
        return grid

    def _timeline(self, events: list[CaseEvent]) -> Table:
        lang = self.app.lang
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(ratio=1)
        grid.add_row(Text(self.app.t("case.timeline"), style="underline"), Text(""), Text(""))
        for event in events:
            grid.add_row(Text(full_time(event.at)), Text(EventKind.label_for(event.kind, lang)),
                         literal(f"{event.agent}: {event.note}" if event.note else event.agent,
                                 one_line=False))
        return grid

    def action_back(self) -> None:
        note = self.query_one("#note", Input)
        if note.display and note.has_focus:
            note.display = False
            self.query_one("#case-body").focus()
            return
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_page", "prev_page"):
            return self.pages.count > 1
        return True

    def action_next_page(self) -> None:
        self._turn(1)

    def action_prev_page(self) -> None:
        self._turn(-1)

    def _turn(self, delta: int) -> None:
        if self._shown and self.pages.turn(delta):
            self.query_one("#case-fields", Static).update(self._fields(*self._shown))
            self.query_one("#case-body", VerticalScroll).scroll_home(animate=False)

    def action_note(self) -> None:
        note = self.query_one("#note", Input)
        note.display = True
        note.focus()

    @on(Input.Submitted, "#note")
    def _save_note(self, event: Input.Submitted) -> None:
        """The note goes to a thread; the box stays open with the text until it is written."""
        from models.cases import add_note

        store, case_id, agent, text = self.app.store, self.case_id, self.app.agent, event.value

        def write() -> NoteAdded:
            add_note(store, case_id, text, agent)
            return NoteAdded(text)

        self._progress(self.app.t("case.note_saving"))
        write_off_thread(self, "note", write)

    def on_note_added(self, message: NoteAdded) -> None:
        self._progress("")
        note = self.query_one("#note", Input)
        if note.value == message.text:  # what was typed after Enter stays in the box
            note.value = ""
            note.display = False
            self.query_one("#case-body").focus()
        self.reload()

    # --- lifecycle steps ------------------------------------------------------------------
    def action_step(self, name: str) -> None:
        """A step key: refused with the state and allowed steps if the rules say no, else the
        dialog for what the step needs, then the write."""
        action = Action(name)
        if self.case is None:
            return
        if action not in self.allowed:
            self._refuse(action)
            return
        ask_step(self, action, self._answered, lead=self.case.lead_department,
                 co=list(self.case.co_departments), case_ref=self.case.id)

    def _refuse(self, action: Action) -> None:
        """The rules' own refusal (`check_step`), in the user's language."""
        from models.domain.lifecycle import check_step
        from models.domain.messages import ValidationFailed

        try:
            check_step(CaseState.of(self.case), self.app.actor(), Step(action))
        except ValidationFailed as exc:
            self._progress(" ".join(exc.messages(self.app.lang)), error=True)

    def _answered(self, step: Step | None) -> None:
        if step is None:
            return
        self._progress(self.app.t("step.saving", action=step.action.label(self.app.lang)))
        run_steps(self, [self.case_id], step)

    def on_step_taken(self, message: StepTaken) -> None:
        lang = self.app.lang
        state = message.states.get(self.case_id, "")
        self._progress(self.app.t("step.done", action=message.action.label(lang),
                                  state=Status.label_for(state, lang)))
        self.app.on_case_saved()
        self.reload()

    def action_edit_field(self) -> None:
        from .step_dialogs import FieldDialog

        if self.case is None:
            return
        case = self.case
        current = {"address": case.address, "category": case.category,
                   "caller_name": case.caller_name, "caller_phone": case.caller_phone,
                   "description": case.description, "urgency": case.urgency,
                   "location_kind": case.location_kind}
        self.app.push_screen(FieldDialog(self.app.t("key.step.edit"), current), self._edit)

    def _edit(self, value) -> None:
        if value is None:
            return
        from models.cases.edits import edit_case

        store, case_id, agent = self.app.store, self.case_id, self.app.agent
        label = self.app.t(f"field.{value.field}")

        def write() -> FieldCorrected:
            diff = edit_case(store, case_id, {value.field: value.value}, agent)
            return FieldCorrected(label, bool(diff))

        self._progress(self.app.t("case.note_saving"))
        write_off_thread(self, "edit", write)

    def on_field_corrected(self, message: FieldCorrected) -> None:
        self._progress(self.app.t("step.field_saved", field=message.label) if message.changed
                       else self.app.t("step.no_change"))
        self.app.on_case_saved()
        self.reload()

    def on_write_failed(self, message: WriteFailed) -> None:
        self._progress("")
        text = message.sentence(self.app, "case.note_failed" if message.what == "note"
                                else "step.failed")
        if message.what == "note":
            self.notify(text, severity="error", markup=False)
        else:
            self._progress(text, error=True)

    def _progress(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#case-status", Static)
        status.update(Text(text, style="bold red" if error else ""))
        status.display = bool(text)
