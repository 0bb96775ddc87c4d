"""One case: its fields and its timeline; the agent adds notes here (written off the UI thread:
"Saving…" shows while the store's write lock is busy, and typing goes on)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from sqlmodel import select
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from models.domain.enums import Disposition, EventKind, LocationKind, Status, Urgency
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


class NoteAdded(Message):
    """A note is on the case's timeline (posted by the note's write)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


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
        self.refresh_bindings()  # paging keys only for a text of several pages
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
        if case.repeat_count:
            grid.add_row(self.app.t("case.repeat_calls"), Text(str(case.repeat_count)))
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

    def on_write_failed(self, message: WriteFailed) -> None:
        self._progress("")
        if message.problems is not None:
            text = " ".join(message.problems.messages(self.app.lang))
        else:
            text = self.app.t("case.note_failed", error=message.error)
        self.notify(text, severity="error", markup=False)

    def _progress(self, text: str) -> None:
        status = self.query_one("#case-status", Static)
        status.update(Text(text))
        status.display = bool(text)
