"""F6: the shift lead's review, acting, not only reading.

Left, the views: the work queues (`models.cases.lead_review.QUEUES`, what is in each is
`lead_review._where`), the department scoreboard, hot spots and the terminals' sync health.
Right, the view: Enter opens a case (from any queue, or a hot spot's cases); Space marks rows;
on the marked rows (or the current one) `d` dispatches (or re-dispatches) through the
department picker, `u` supervises with a note, `a` assigns their callbacks to an agent; `p` cycles the scoreboard's
period (today, 7 days, 30 days, a custom number of days); `x` exports what is shown to CSV
(a 0600 file, its path on the status line). Every step goes through `models.cases.steps` (the lifecycle rules) off the UI thread. `g` is left free.

At 80x24 every case view shows the case number, a short whole-word state, the due date, the
department and the start of the description; labels are cut between words, never inside one.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from models.cases.lead_review import PERIODS, QUEUES, queue_label
from models.domain.lifecycle import Action, ReturnReason, Step

from ..actions import bindings
from ..display import clip_name, clip_words, format_age, literal, short_status
from ..reads import store_read
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from ..writes import WriteFailed, write_off_thread
from .base import HotlineScreen
from .steps_ui import StepTaken, ask_agent, ask_step, run_steps

VIEWS = [*QUEUES, "scoreboard", "hot_spots", "terminals"]
WIDE = 100  # narrower than this, the views list folds away while the table has focus
STALE_AFTER = 15 * 60  # seconds without a sync before a terminal counts as stale


class ViewLoaded(Message):
    """A view's rows, read on a thread."""

    def __init__(self, view: str, rows: list, labels: dict[str, str], source: str,
                 extra: Any = None) -> None:
        super().__init__()
        self.view, self.rows, self.labels, self.source, self.extra = view, rows, labels, source, extra


class CountsLoaded(Message):
    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__()
        self.counts = counts


class Exported(Message):
    def __init__(self, path: Path, rows: int) -> None:
        super().__init__()
        self.path, self.rows = path, rows


class LeadScreen(HotlineScreen[None]):
    DEFAULT_CSS = """
    LeadScreen #lead-views { width: 27; height: 1fr; border-right: solid $primary-darken-2; }
    LeadScreen #lead-right { width: 1fr; height: 1fr; }
    LeadScreen #lead-head { height: 1; padding: 0 1; text-style: bold; }
    LeadScreen #lead-table { width: 1fr; height: 1fr; }
    LeadScreen #lead-chart { height: auto; max-height: 9; padding: 0 1;
                             border-top: solid $primary-darken-2; }
    LeadScreen #lead-status { dock: bottom; height: auto; max-height: 3; padding: 0 1;
                              color: $text-muted; }
    """
    SCOPE = "lead"
    BINDINGS = bindings(SCOPE)

    def __init__(self) -> None:
        super().__init__()
        self.view = VIEWS[1]
        self.period = "30d"
        self.custom_days = 90
        self.marked: set[str] = set()
        self.rows: list = []
        self.labels: dict[str, str] = {}
        self.spot: Any = None  # the hot spot drilled into
        self.source = ""
        self.counts: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal():
            yield OptionList(id="lead-views")
            with Vertical(id="lead-right"):
                yield Static(id="lead-head")
                yield DataTable(id="lead-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="lead-chart")
        yield KeyBar()
        yield Static(id="lead-status")

    def on_mount(self) -> None:
        self.query_one("#lead-chart").display = False
        self.query_one("#lead-status").display = False
        views = self.query_one("#lead-views", OptionList)
        for key in VIEWS:
            views.add_option(Option(self._view_prompt(key), id=key))
        views.highlighted = VIEWS.index(self.view)
        views.focus()
        self._counts_due = True  # counted once the first view is drawn: it comes first
        self._load_view(self.view, self.period, None)

    # --- what is shown where ----------------------------------------------------------------
    def _view_prompt(self, key: str) -> Text:
        if key in QUEUES:
            n = self.counts.get(key)
            label = Text(f"{n:>4} " if n is not None else "     ", style="bold" if n else "dim")
            label.append(queue_label(key, self.app.lang))
            return label
        return Text("     " + self.app.t(f"lead.{key}"))

    def _online(self) -> bool:
        worker = self.app.sync_worker
        return worker is not None and worker.status.state in ("online", "sending")

    def action_reload(self) -> None:
        self._counts_due = True
        self._load_view(self.view, self.period, self.spot)

    @work(thread=True, exclusive=True, group="lead-counts")
    @store_read
    def _load_counts(self) -> None:
        from models.cases.lead_review import queue_counts

        with self.app.store.session() as s:
            counts = queue_counts(s, self.app.clock())
        api = self._server_api()
        if api is not None:  # online: the server's counts cover every terminal's cases
            from sync.client import leads
            from sync.client.http import SyncError

            try:
                counts.update(leads.queue_counts(api))
            except SyncError:
                pass  # the local counts stand; the heading says whose data a view shows
        self.post_message(CountsLoaded(counts))

    def _server_api(self) -> Any:
        """The server's API while this terminal is online, else None."""
        worker = self.app.sync_worker
        return worker.engine.api if self._online() and worker.engine is not None else None

    def on_counts_loaded(self, message: CountsLoaded) -> None:
        self.counts = message.counts
        views = self.query_one("#lead-views", OptionList)
        for key in QUEUES:
            views.replace_option_prompt(key, self._view_prompt(key))

    @on(OptionList.OptionHighlighted, "#lead-views")
    def _view_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        view = str(event.option.id)
        if view != self.view:
            self.view, self.spot = view, None
            self.marked.clear()
            self._load_view(view, self.period, None)

    @on(OptionList.OptionSelected, "#lead-views")
    def _view_selected(self, _event: OptionList.OptionSelected) -> None:
        self.query_one("#lead-table").focus()

    def on_descendant_focus(self, event) -> None:
        """On a narrow terminal the table takes the whole width while it has focus (the views
        list comes back with Esc); the columns are laid out again for the new width."""
        views = self.query_one("#lead-views")
        fold = self._folds() and event.widget.id == "lead-table"
        if views.display == fold:
            views.display = not fold
            self._load_view(self.view, self.period, self.spot)

    @work(thread=True, exclusive=True, group="lead-view")
    @store_read
    def _load_view(self, view: str, period: str, spot: Any) -> None:
        from models.cases import lead_review
        from models.reference.views import department_labels

        at = self.app.clock()
        source = "lead.local_replica" if self._online() else "lead.offline"
        extra: Any = None
        if view == "terminals":
            rows, source = self._terminals()
        else:
            with self.app.store.session() as s:
                if view == "scoreboard":
                    rows = lead_review.scoreboard(s, at, self._days(period))
                elif view == "hot_spots" and spot is not None:
                    rows = lead_review.hot_spot_cases(s, at, spot.category, spot.address)
                elif view == "hot_spots":
                    rows = lead_review.hot_spots(s, at)
                else:
                    rows, source = self._queue(s, view, at, source)
                    if view == "callbacks_due":
                        extra = lead_review.callback_assignees(s, [c.id for c in rows])
        labels = department_labels(self.app.store, self.app.lang)
        if view == "hot_spots" and spot is None:
            from models.reference.views import category_choices

            extra = {code: label.strip() for label, code in
                     category_choices(self.app.store, self.app.lang)}
        self.post_message(ViewLoaded(view, rows, labels, source, extra))

    def _queue(self, session: Any, view: str, at: datetime, source: str) -> tuple[list, str]:
        """A queue's cases: the server's (every terminal's) while online, else this store's."""
        from models.cases import lead_review
        from sync.client import leads

        api = self._server_api()
        if api is not None and leads.served(view):
            from sync.client.http import SyncError

            try:
                return leads.queue_cases(api, view), "lead.online"
            except SyncError:
                pass  # offline since, or an older server: the local copy below
        return lead_review.queue_cases(session, view, at), source

    def _terminals(self) -> tuple[list[dict[str, Any]], str]:
        """Every terminal's sync health from the server, the stale first; offline, this
        terminal's own queue from the local outbox."""
        from sync.client.queue import info as queue_info

        api = self._server_api()
        if api is not None:
            from sync.client import leads
            from sync.client.http import SyncError

            try:
                return sorted(leads.terminals(api), key=_staleness), "lead.online"
            except SyncError:
                pass  # offline since: this terminal's own queue below
        mine = queue_info(self.app.store)
        return [{"client_id": self.app.store.client_id, "user_id": self.app.agent,
                 "last_push_at": mine.last_ok_at, "last_pull_at": None,
                 "queue_depth": mine.pending, "oldest_at": mine.oldest_at}], "lead.offline"

    def on_view_loaded(self, message: ViewLoaded) -> None:
        if message.view != self.view:
            return
        self.rows, self.labels, self.source = message.rows, message.labels, message.source
        table = self.query_one("#lead-table", DataTable)
        table.clear(columns=True)
        chart = self.query_one("#lead-chart", Static)
        chart.display = False
        if self.view == "scoreboard":
            self._show_scoreboard(table, chart)
        elif self.view == "hot_spots" and self.spot is None:
            self._show_hot_spots(table, message.extra or {})
        elif self.view == "terminals":
            self._show_terminals(table)
        else:
            self._show_cases(table, message.extra or {})
        self._head()
        if self._counts_due:
            self._counts_due = False
            self._load_counts()

    def _head(self) -> None:
        t = self.app.t
        if self.view == "scoreboard":
            period = (t("lead.period.custom", days=self.custom_days) if self.period == "custom"
                      else t(f"lead.period.{self.period}"))
            title = t("lead.scoreboard_title", period=period)
        elif self.view == "hot_spots" and self.spot is not None:
            title = t("lead.hot_spot_cases", address=self.spot.address,
                      category=self.spot.category_label, n=len(self.rows))
        elif self.view in QUEUES:
            title = queue_label(self.view, self.app.lang)
        else:
            title = t(f"lead.{self.view}")
        head = Text(title)
        if self.marked:
            head.append("  " + t("lead.marked", n=len(self.marked)), style="reverse")
        head.append("  · " + t(self.source), style="italic")
        self.query_one("#lead-head", Static).update(head)

    def _width(self) -> int:
        """The table's width once laid out as it will be: the whole screen when the views list
        folds away (narrow terminals, the table focused)."""
        if self._folds() and self.query_one("#lead-table").has_focus:
            return self.app.size.width
        return self.query_one("#lead-table", DataTable).size.width or self.app.size.width - 27

    def _folds(self) -> bool:
        return self.app.size.width < WIDE

    def _columns(self, table: DataTable, specs: list[tuple[str, int]], flex: str
                 ) -> dict[str, int]:
        """Add the columns: each at least as wide as its label (no label is cut), the `flex`
        one taking what is left; returns each column's width."""
        t = self.app.t
        widths = {key: max(width, cell_len(t(key)) if key else 0) for key, width in specs}
        used = sum(w + 2 for k, w in widths.items() if k != flex)
        widths[flex] = max(widths[flex], self._width() - used - 2 - 2)
        for key, _ in specs:
            table.add_column(Text(t(key)) if key else "", width=widths[key], key=key or "mark")
        return widths

    def _show_cases(self, table: DataTable, assignees: dict[str, str]) -> None:
        """Number, state, due, department, the start of the description (and, for returns, the
        reason; for callbacks, who calls) in whatever width is left."""
        lang = self.app.lang
        extra_key = ("lead.reason" if self.view == "returned"
                     else "callbacks.assigned" if self.view == "callbacks_due" and assignees else "")
        number = max([cell_len(c.case_no) for c in self.rows] or [15])  # never cut a number
        specs = [("", 1), ("col.case_no", number), ("col.status", 4), ("case.due", 5),
                 ("col.department", 10)]
        if extra_key:
            specs.append((extra_key, 8))
        widths = self._columns(table, [*specs, ("col.summary", 8)], "col.summary")
        text_width, dept_width = widths["col.summary"], widths["col.department"]
        extra_width = widths.get(extra_key, 0)
        for case in self.rows:
            cells = [Text("●" if case.id in self.marked else ""), literal(case.case_no),
                     Text(short_status(case.status, lang)),
                     Text(case.due_at.astimezone().strftime("%m-%d") if case.due_at else ""),
                     clip_name(self.labels.get(case.lead_department, case.lead_department),
                                dept_width)]
            if extra_key == "lead.reason":
                cells.append(clip_words(ReturnReason.label_for(case.return_reason, lang),
                                        extra_width))
            elif extra_key:
                cells.append(clip_words(assignees.get(case.id, ""), extra_width))
            cells.append(clip_words(case.title or case.description, text_width))
            table.add_row(*cells, key=case.id)

    def _show_scoreboard(self, table: DataTable, chart: Static) -> None:
        dept = self._columns(table, [("", 2), ("col.department", 8), ("lead.completion", 4),
                                     ("lead.on_time", 4), ("lead.return_rate", 4),
                                     ("lead.satisfaction", 4), ("lead.supervised", 3)],
                             "col.department")["col.department"]
        for rank, sc in enumerate(self.rows, 1):
            table.add_row(Text(str(rank)), clip_name(self.labels.get(sc.department, sc.department), dept),
                          Text(_pct(sc.completion_rate)), Text(_pct(sc.on_time_rate)),
                          Text(_pct(sc.return_rate), style="bold red" if sc.return_rate >= 0.3 else ""),
                          Text(_pct(sc.satisfaction_rate)), Text(str(sc.supervised)),
                          key=sc.department)
        chart.update(self._chart())
        chart.display = bool(self.rows)

    def _chart(self) -> Text:
        """The ranking as bars: each department's completion rate, drawn in cells (eighths of a
        cell for the fraction), the label cut to a fixed cell width."""
        width = max(10, self._width() - 2 - 13 - 6)
        out = Text(no_wrap=True)
        for sc in self.rows[:8]:
            name = clip_name(self.labels.get(sc.department, sc.department), 12).plain
            out.append(name + " " * (13 - cell_len(name)))
            out.append(_bar(sc.completion_rate, width), style="green" if sc.completion_rate >= 0.8
                       else "yellow" if sc.completion_rate >= 0.5 else "red")
            out.append(f" {_pct(sc.completion_rate):>4}\n")
        out.rstrip()
        return out

    def _show_hot_spots(self, table: DataTable, categories: dict[str, str]) -> None:
        text_width = self._columns(table, [("col.address", 8), ("intake.category", 10),
                                           ("lead.cases", 4), ("lead.callers", 4),
                                           ("lead.latest", 5)], "col.address")["col.address"]
        for i, spot in enumerate(self.rows):
            spot.category_label = categories.get(spot.category, spot.category)
            table.add_row(clip_words(spot.address, text_width), clip_words(spot.category_label, 10),
                          Text(str(spot.cases)), Text(str(spot.callers)),
                          Text(spot.latest.astimezone().strftime("%m-%d")), key=str(i))

    def _show_terminals(self, table: DataTable) -> None:
        t = self.app.t
        at = self.app.clock()
        term = self._columns(table, [("lead.terminal", 12), ("lead.user", 8), ("lead.last_seen", 9),
                                     ("lead.queue_depth", 5), ("lead.oldest", 9)],
                             "lead.terminal")["lead.terminal"]
        for row in self.rows:
            seen = _latest(row)
            oldest = _when(row.get("oldest_at"))
            stale = seen is None or (at - seen).total_seconds() > STALE_AFTER
            table.add_row(clip_words(str(row.get("client_id", "")), term),
                          clip_words(str(row.get("user_id", "")), 8),
                          Text(format_age((at - seen).total_seconds()) if seen else t("lead.never"),
                               style="bold red" if stale else ""),
                          Text(str(row.get("queue_depth", 0))),
                          Text(format_age(max(0.0, (at - oldest).total_seconds())) if oldest
                               else "-"))

    # --- acting -----------------------------------------------------------------------------
    def _is_case_view(self) -> bool:
        return self.view in QUEUES or (self.view == "hot_spots" and self.spot is not None)

    def _current_key(self) -> str | None:
        table = self.query_one("#lead-table", DataTable)
        if not table.row_count or table.cursor_row is None:
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def targets(self) -> list[str]:
        """The marked rows, else the current one (case ids)."""
        if not self._is_case_view():
            return []
        if self.marked:
            return [c.id for c in self.rows if c.id in self.marked]
        key = self._current_key()
        return [key] if key else []

    @on(DataTable.RowSelected, "#lead-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        if self.view == "hot_spots" and self.spot is None:
            self.spot = self.rows[int(str(event.row_key.value))]
            self.marked.clear()
            self._load_view(self.view, self.period, self.spot)
            return
        if not self._is_case_view():
            return
        from .case_view import CaseViewScreen

        self.app.push_screen(CaseViewScreen(str(event.row_key.value)))
        self._opened_case = True

    def on_screen_resume(self) -> None:
        """Back from a case: its steps may have moved it between queues."""
        if getattr(self, "_opened_case", False):
            self._opened_case = False
            self.action_reload()

    def action_mark(self) -> None:
        key = self._current_key()
        if key is None or not self._is_case_view():
            return
        self.marked.symmetric_difference_update({key})
        table = self.query_one("#lead-table", DataTable)
        row = table.cursor_row
        table.update_cell_at((row, 0), Text("●" if key in self.marked else ""))
        if row + 1 < table.row_count:
            table.move_cursor(row=row + 1)
        self._head()

    def _act(self, action: Action, make: Callable[[Callable[[Step | None], None]], None],
             extra: dict[str, Any] | None = None) -> None:
        refs = self.targets()
        if not refs:
            self._status(self.app.t("lead.not_a_queue"), error=True)
            return

        def answered(step: Step | None) -> None:
            if step is None:
                return
            self._status(self.app.t("step.saving", action=step.action.label(self.app.lang)))
            run_steps(self, refs, step, extra=extra)

        make(answered)

    def action_lead_dispatch(self) -> None:
        refs = self.targets()
        one = refs[0] if len(refs) == 1 else ""  # suggestions are for one case at a time
        self._act(Action.DISPATCH, lambda done: ask_step(self, Action.DISPATCH, done,
                                                         case_ref=one))

    def action_lead_supervise(self) -> None:
        self._act(Action.SUPERVISE, lambda done: ask_step(self, Action.SUPERVISE, done))

    def action_assign(self) -> None:
        from models.cases.lead_review import assign_callback_step

        refs = self.targets()
        if not refs:
            self._status(self.app.t("lead.not_a_queue"), error=True)
            return

        def agent_given(name: str | None) -> None:
            if not name:
                return
            step, extra = assign_callback_step(name, self.app.lang)
            run_steps(self, refs, step, extra=extra)

        ask_agent(self, len(refs), agent_given)

    def on_step_taken(self, message: StepTaken) -> None:
        lang = self.app.lang
        total = len(message.done) + len(message.refused)
        text = self.app.t("step.done_many", action=message.action.label(lang),
                          done=len(message.done), total=total)
        if message.refused:
            ref, why = next(iter(message.refused.items()))
            number = next((c.case_no for c in self.rows if getattr(c, "id", None) == ref), ref)
            text += "  " + self.app.t("step.refused_some", case_no=number,
                                      why=" ".join(why.messages(lang)))
        self._status(text, error=bool(message.refused))
        self.marked.clear()
        self.app.on_case_saved()
        self.action_reload()

    def on_write_failed(self, message: WriteFailed) -> None:
        self._status(message.sentence(self.app), error=True)

    def _days(self, period: str) -> int:
        return self.custom_days if period == "custom" else PERIODS[period]

    def action_period(self) -> None:
        """Today -> 7 days -> 30 days -> a custom number of days (asked) -> today ..."""
        keys = [*PERIODS, "custom"]
        following = keys[(keys.index(self.period) + 1) % len(keys)]
        if following != "custom":
            self.period = following
            if self.view == "scoreboard":
                self._load_view(self.view, self.period, None)
            return
        from .step_dialogs import DaysDialog

        def given(value) -> None:
            if value is None:
                return
            self.period, self.custom_days = "custom", int(value.value)
            if self.view == "scoreboard":
                self._load_view(self.view, self.period, None)

        self.app.push_screen(DaysDialog(self.app.t("key.period")), given)

    # --- export -----------------------------------------------------------------------------
    def action_export(self) -> None:
        table = self.query_one("#lead-table", DataTable)
        header = [str(c.label) for c in table.columns.values()]
        rows = [[_plain(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        if self._is_case_view():  # whole values, not the cells cut to the screen
            header = ["case_no", "status", "due_at", "department", "description"]
            rows = [[c.case_no, c.status, c.due_at.isoformat() if c.due_at else "",
                     c.lead_department, c.description] for c in self.rows]
        name = f"lead-{self.view}-{self.app.clock():%Y%m%d-%H%M%S}.csv"
        folder = Path(self.app.store.path).parent / "exports"

        def write() -> Exported:
            return Exported(write_csv(folder / name, header, rows), len(rows))

        write_off_thread(self, "export", write)

    def on_exported(self, message: Exported) -> None:
        self._status(self.app.t("lead.exported", n=message.rows, path=str(message.path)))

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#lead-status", Static)
        status.update(Text(text, style="bold red" if error else ""))
        status.display = bool(text)

    def action_back(self) -> None:
        if self.view == "hot_spots" and self.spot is not None:
            self.spot = None
            self._load_view(self.view, self.period, None)
            return
        if self.query_one("#lead-table").has_focus:
            self.query_one("#lead-views").focus()
            return
        self.app.pop_screen()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A CSV only its owner can read (cases carry callers' numbers): created 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _plain(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


BLOCKS = " ▏▎▍▌▋▊▉█"


def _bar(rate: float, width: int) -> str:
    """A bar `rate` of `width` cells long, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, rate)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (BLOCKS[part] if part else "")).ljust(width)


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _latest(row: dict[str, Any]) -> datetime | None:
    seen = [w for w in (_when(row.get(k)) for k in ("last_push_at", "last_pull_at", "last_seen",
                                                    "last_seen_at")) if w]
    return max(seen) if seen else None


def _staleness(row: dict[str, Any]) -> tuple[int, float]:
    """Never seen first, then the longest silent."""
    seen = _latest(row)
    return (0, 0.0) if seen is None else (1, seen.timestamp())

