"""The panel of prior cases beside the intake form: the caller's history and similar cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from ..display import clip_name, highlighted, literal, short_status

if TYPE_CHECKING:  # imported with the first rows: the empty form does not draw a table
    from textual.widgets import DataTable


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
    spans: list[tuple[int, int]] = field(default_factory=list)  # matching parts of `text`


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
    PriorCasesPanel > #prior-why { height: 1; padding: 0 1; }
    """

    class Open(Message):
        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    FIXED = (("no", 16), ("age", 4), ("status", 6), ("dept", 10))
    # Beside the form (a wide terminal) the panel is narrow and tall: two lines a case, the
    # number over its age and state, so that the text keeps two lines of twice the width
    # (one line of a dozen characters otherwise).
    FIXED_WIDE = (("no", 16), ("dept", 10))
    _rows: dict[str, PriorCase] = {}
    _shown: tuple = ([], "")  # what `show` was last given (shown again for another width)
    _found: dict = {}  # the lookups' answers for the call on the form

    def compose(self) -> ComposeResult:
        yield Static(Text(self.app.t("intake.no_prior")), id="prior-title")

    def _wide(self) -> bool:
        return self.screen.has_class("-wide")

    def _fixed(self) -> tuple[tuple[str, int], ...]:
        return self.FIXED_WIDE if self._wide() else self.FIXED

    def _table(self, create: bool = True) -> DataTable | None:
        """The table is made with the first rows to show: the empty form comes up faster (and
        again when the terminal changes between narrow and wide)."""
        found = self.query("#prior")
        if found and (not create or len(found.first().columns) == len(self._fixed()) + 1):
            return found.first()
        if not create:
            return None
        if found:  # laid out for the other width
            table = found.first()
            table.clear(columns=True)
        else:
            from textual.widgets import DataTable

            table = DataTable(id="prior", cursor_type="row", show_header=False)
            self.mount(table)
        for key, width in self._fixed():
            table.add_column(key, width=width, key=key)
        table.add_column("text", width=self._text_width(), key="text")
        return table

    def _text_width(self) -> int:
        """The snippet takes what the fixed columns leave (cell padding and scrollbar)."""
        width = self.size.width or self.app.size.width
        fixed = self._fixed()
        return max(12, width - sum(w for _, w in fixed) - 2 * (len(fixed) + 1) - 2)

    def on_resize(self) -> None:
        table = self._table(create=False)
        if table is not None and len(table.columns) != len(self._fixed()) + 1:
            self.show(*self._shown)  # the terminal went from narrow to wide or back
            return
        column = table.columns.get("text") if table else None  # a ColumnKey matches its str
        if column is not None:
            column.width = self._text_width()
            table.refresh()

    def show(self, rows: list[PriorCase], title: str, department_label=lambda c: c) -> None:
        self._shown = (rows, title, department_label)
        self.query_one("#prior-title", Static).update(Text(title))
        table = self._table(create=bool(rows))
        if table is None:
            return
        table.clear()
        wide = self._wide()
        for row in rows:
            when = Text(age(row.created_at, self.app.clock()))
            state = Text(short_status(row.status, self.app.lang))
            dept = clip_name(department_label(row.department), 10)
            text = _highlighted(row.text, row.spans)
            if wide:  # (see FIXED_WIDE)
                table.add_row(literal(row.case_no) + Text("\n") + when + Text("  ") + state,
                              dept, self._two_lines(text, table.columns["text"].width),
                              key=row.case_id, height=2)
            else:
                table.add_row(literal(row.case_no), when, state, dept, text, key=row.case_id)
        self._rows = {row.case_id: row for row in rows}
        self._show_why(table)

    def _two_lines(self, text: Text, width: int) -> Text:
        """`text` wrapped in the text column's `width` (folded between Chinese characters, which
        have no spaces to wrap at), its first two lines, "…" where it goes on."""
        lines = list(text.wrap(self.app.console, width, overflow="fold", no_wrap=False))
        for line in lines:
            line.rstrip()  # (in place: the space a line was wrapped at)
        if len(lines) > 2:
            lines = [lines[0], lines[1]]
            lines[1].truncate(width - 1)
            lines[1].append("…")
        return Text("\n").join(lines)

    def clear(self) -> None:
        """A new call: nothing found yet."""
        self._found: dict = {}
        self.show([], self.app.t("intake.no_prior"))

    def show_found(self, department_label=lambda c: c, **found) -> None:
        """What the lookups found so far (`history=` the caller's, `hits=` similar cases, each
        as it arrives): similar cases if any, else the caller's earlier cases; the title says
        both."""
        self._found = {**self._found, **found}
        history, hits = self._found.get("history"), self._found.get("hits")
        t = self.app.t
        if hits:
            rows = [PriorCase(h.id, h.case_no, h.created_at, h.status, h.department,
                              h.snippet.text, why=", ".join(h.why_text(self.app.lang)),
                              spans=list(h.snippet.spans)) for h in hits]
        else:
            rows = [PriorCase(c.id, c.case_no, c.created_at, c.status, c.lead_department,
                              c.title or c.description) for c in (history.cases if history else [])]
        parts = []
        if history is not None and history.phone:
            parts.append(t("intake.history", n=history.count) if history.count
                         else t("intake.new_caller"))
        if hits:
            parts.append(t("intake.similar", n=len(hits)))
        elif hits is not None and not parts:  # searched, found nothing: not "type something"
            parts.append(t("intake.no_similar"))
        self.show(rows, " · ".join(parts) or t("intake.no_prior"), department_label)

    @property
    def selected(self) -> str | None:
        table = self._table(create=False)
        if table is None or not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_why(event.data_table)

    def _show_why(self, table: DataTable) -> None:
        """Why the highlighted case is shown (same caller, same address, the words that match)."""
        why = self.query("#prior-why")
        row = self._rows.get(self.selected or "")
        text = literal(row.why, style="dim") if row and row.why else Text("")
        if why:
            why.first().update(text)
        elif row and row.why:
            self.mount(Static(text, id="prior-why"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Open(str(event.row_key.value)))


def _highlighted(text: str, spans: list[tuple[int, int]]) -> Text:
    """The snippet with its matching parts in bold: caller text, so never parsed as markup."""
    if not spans:
        return literal(text)
    out = highlighted(text.replace("\n", " "), spans)
    out.no_wrap, out.overflow = True, "ellipsis"
    return out
