"""The panel of prior cases beside the intake form: the caller's history and similar cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey

from models.enums import Status
from models.text import snippet


@dataclass
class PriorCase:
    """One row of the panel, whatever found it (same caller, similar text, same address)."""

    case_id: str
    case_no: str
    created_at: datetime
    status: str
    department: str
    text: str
    why: str = ""


def age(at: datetime, current: datetime) -> str:
    delta = current - at
    if delta.days >= 1:
        return f"{delta.days}d"
    hours = delta.seconds // 3600
    return f"{hours}h" if hours else f"{delta.seconds // 60}m"


class PriorCasesPanel(Vertical):
    DEFAULT_CSS = """
    PriorCasesPanel { height: 1fr; border-top: solid $primary-darken-2; }
    PriorCasesPanel > #prior-title { height: 1; color: $text-muted; padding: 0 1; }
    PriorCasesPanel > DataTable { height: 1fr; }
    """

    class Open(Message):
        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    FIXED = (("no", 16), ("age", 4), ("status", 6), ("dept", 10))

    def compose(self) -> ComposeResult:
        yield Static(Text(self.app.t("intake.no_prior")), id="prior-title")

    def _table(self, create: bool = True) -> DataTable | None:
        """The table is made with the first rows to show: the empty form comes up faster."""
        found = self.query(DataTable)
        if found or not create:
            return found.first() if found else None
        table = DataTable(id="prior", cursor_type="row", show_header=False)
        for key, width in self.FIXED:
            table.add_column(key, width=width, key=key)
        table.add_column("text", width=self._text_width(), key="text")
        self.mount(table)
        return table

    def _text_width(self) -> int:
        """The snippet takes what the fixed columns leave (cell padding and scrollbar)."""
        width = self.size.width or self.app.size.width
        return max(12, width - sum(w for _, w in self.FIXED) - 2 * (len(self.FIXED) + 1) - 2)

    def on_resize(self) -> None:
        table = self._table(create=False)
        column = table.columns.get(ColumnKey("text")) if table else None
        if column is not None:
            column.width = self._text_width()
            table.refresh()

    def show(self, rows: list[PriorCase], title: str, department_label=lambda c: c) -> None:
        self.query_one("#prior-title", Static).update(Text(title))
        table = self._table(create=bool(rows))
        if table is None:
            return
        table.clear()
        for row in rows:
            table.add_row(Text(row.case_no), Text(age(row.created_at, self.app.clock())),
                          Text(_status(row.status, self.app.lang)),
                          Text(department_label(row.department), overflow="ellipsis", no_wrap=True),
                          Text(snippet(row.text, 80), overflow="ellipsis", no_wrap=True),
                          key=row.case_id)

    @property
    def selected(self) -> str | None:
        table = self._table(create=False)
        if table is None or not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Open(str(event.row_key.value)))


def _status(value: str, lang: str) -> str:
    try:
        return Status(value).label(lang)
    except ValueError:
        return value
