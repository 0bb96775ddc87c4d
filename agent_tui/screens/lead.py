"""F6: the shift lead's review: work queues, department scoreboard, hot spots."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, OptionList
from textual.widgets.option_list import Option

from models.cases.lead_review import QUEUES, queue_label
from models.domain.enums import Status

from ..actions import bindings
from ..display import literal, short_time
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen

VIEWS = [*QUEUES, "scoreboard", "hot_spots"]


class LeadScreen(HotlineScreen[None]):
    DEFAULT_CSS = """
    LeadScreen #lead-views { width: 24; height: 1fr; border-right: solid $primary-darken-2; }
    LeadScreen #lead-table { width: 1fr; height: 1fr; }
    """
    SCOPE = "lead"
    BINDINGS = bindings(SCOPE)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal():
            yield OptionList(id="lead-views")
            yield DataTable(id="lead-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.view = VIEWS[0]
        self.action_reload()
        self.query_one("#lead-views").focus()

    def action_reload(self) -> None:
        self._load_counts()

    @work(thread=True, exclusive=True, group="lead-counts")
    def _load_counts(self) -> None:
        from models.cases.lead_review import queue_counts

        with self.app.store.session() as s:
            counts = queue_counts(s, self.app.clock())
        self.app.call_from_thread(self._show_counts, counts)

    def _show_counts(self, counts: dict[str, int]) -> None:
        views = self.query_one("#lead-views", OptionList)
        keep = views.highlighted or 0
        views.clear_options()
        for key in QUEUES:
            label = Text(f"{counts[key]:>6}  ", style="bold" if counts[key] else "dim")
            label.append(queue_label(key, self.app.lang))
            views.add_option(Option(label, id=key))
        views.add_option(Option(Text("        " + self.app.t("lead.scoreboard")), id="scoreboard"))
        views.add_option(Option(Text("        " + self.app.t("lead.hot_spots")), id="hot_spots"))
        views.highlighted = keep
        self._load_view(VIEWS[keep])

    @on(OptionList.OptionHighlighted, "#lead-views")
    def _view_chosen(self, event: OptionList.OptionHighlighted) -> None:
        self._load_view(str(event.option.id))

    @work(thread=True, exclusive=True, group="lead-view")
    def _load_view(self, view: str) -> None:
        from models.cases import lead_review

        at = self.app.clock()
        with self.app.store.session() as s:
            if view == "scoreboard":
                rows = lead_review.scoreboard(s, at)
            elif view == "hot_spots":
                rows = lead_review.hot_spots(s, at)
            else:
                rows = lead_review.queue_cases(s, view, at)
        labels = self._department_labels()
        self.app.call_from_thread(self._show_view, view, rows, labels)

    def _department_labels(self) -> dict[str, str]:
        from models.reference.views import department_labels

        return department_labels(self.app.store, self.app.lang)

    def _show_view(self, view: str, rows: list, labels: dict[str, str]) -> None:
        t = self.app.t
        table = self.query_one("#lead-table", DataTable)
        table.clear(columns=True)
        self.view = view
        if view == "scoreboard":
            for key, width in (("col.department", 14), ("lead.assigned", 6), ("lead.completion", 7),
                               ("lead.return_rate", 7), ("lead.overdue", 6), ("lead.satisfaction", 7)):
                table.add_column(t(key), width=width)
            for sc in rows:
                sat = f"{sc.satisfaction_rate:.0%}" if sc.satisfaction_rate is not None else "—"
                table.add_row(literal(labels.get(sc.department, sc.department)), Text(str(sc.assigned)),
                              Text(f"{sc.completion_rate:.0%}"),
                              Text(f"{sc.return_rate:.0%}", style="bold red" if sc.return_rate >= 0.3 else ""),
                              Text(str(sc.overdue)), Text(sat))
            return
        if view == "hot_spots":
            for key, width in (("col.address", 18), ("intake.category", 10), ("lead.cases", 5),
                               ("lead.callers", 5), ("lead.latest", 11)):
                table.add_column(t(key), width=width)
            for spot in rows:
                table.add_row(literal(spot.address), literal(spot.category), Text(str(spot.cases)),
                              Text(str(spot.callers)), Text(short_time(spot.latest)))
            return
        for key, width in (("col.case_no", 16), ("col.status", 6), ("case.due", 11),
                           ("col.department", 10), ("col.summary", None)):
            table.add_column(t(key), width=width)
        for case in rows:
            table.add_row(literal(case.case_no), Text(Status.label_for(case.status, self.app.lang)),
                          Text(short_time(case.due_at) if case.due_at else ""),
                          literal(labels.get(case.lead_department, case.lead_department)),
                          literal(case.title or case.description), key=case.id)

    @on(DataTable.RowSelected, "#lead-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        if self.view in ("scoreboard", "hot_spots"):
            return
        from .case_view import CaseViewScreen

        self.app.push_screen(CaseViewScreen(str(event.row_key.value)))

    def action_back(self) -> None:
        self.app.pop_screen()
