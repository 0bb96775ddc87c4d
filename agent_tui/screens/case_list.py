"""Today's and recent cases, newest first; `/` filters, Enter opens."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey

from models.domain.enums import Status
from models.store.tables import Case

from ..actions import bindings
from ..display import literal, short_time
from ..reads import store_read
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen

LIMIT = 500  # the list is for recent work; search finds the rest
FIXED = (("col.case_no", 16), ("col.created", 11), ("col.status", 8), ("col.caller", 8))


class CaseListScreen(HotlineScreen[None]):
    SCOPE = "case_list"
    BINDINGS = bindings(SCOPE)

    def compose(self) -> ComposeResult:
        app = self.app
        yield TitleBar()
        yield Input(placeholder=app.t("cases.filter_placeholder"), id="filter",
                    select_on_focus=False)  # (a character typed on the list is kept: on_key)
        yield DataTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield Static(id="count")
        yield KeyBar()

    def on_mount(self) -> None:
        app = self.app
        self.query_one("#filter").display = False
        table = self.query_one("#cases", DataTable)
        for key, width in FIXED:
            table.add_column(app.t(key), width=width, key=key)
        table.add_column(app.t("col.summary"), width=self._summary_width(), key="col.summary")
        self.refresh_cases()
        table.focus()

    def _summary_width(self) -> int:
        """The request column takes what the fixed columns leave (cell padding and scrollbar)."""
        used = sum(w for _, w in FIXED) + 2 * (len(FIXED) + 1) + 2
        return max(16, self.app.size.width - used)

    def on_resize(self) -> None:
        table = self.query_one("#cases", DataTable)
        column = table.columns.get(ColumnKey("col.summary"))
        if column is not None:
            column.width = self._summary_width()
            table.refresh()

    def refresh_cases(self, text: str = "") -> None:
        self._load(text)

    @work(thread=True, exclusive=True, group="case-list")
    @store_read
    def _load(self, text: str) -> None:
        from models.cases import count_cases, recent_cases

        cases = recent_cases(self.app.store, LIMIT, text)
        total = count_cases(self.app.store)
        self.app.call_from_thread(self._show, cases, total)

    def _show(self, cases: list[Case], total: int) -> None:
        app = self.app
        table = self.query_one("#cases", DataTable)
        table.clear()
        for case in cases:
            table.add_row(
                literal(case.case_no), Text(short_time(case.created_at)),
                Text(Status(case.status).label(app.lang)), literal(case.caller_name),
                literal(case.title or case.description), key=case.id,
            )
        count = self.query_one("#count", Static)
        if total == 0:
            count.update(Text(app.t("cases.empty")))
        else:
            count.update(Text(app.t("cases.count", shown=len(cases), total=total)))

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def search_box(self) -> Input:
        self.action_filter()
        return self.query_one("#filter", Input)

    def action_back(self) -> None:
        """Esc closes the filter first, then goes back to the intake form."""
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.refresh_cases()
            self.query_one("#cases").focus()
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.refresh_cases(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#cases").focus()

    @on(DataTable.RowSelected, "#cases")
    def _open(self, event: DataTable.RowSelected) -> None:
        from .case_view import CaseViewScreen

        self.app.push_screen(CaseViewScreen(str(event.row_key.value)))
