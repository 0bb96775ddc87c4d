"""F7: the offline queue: what waits to reach the server, and why (rejected, in conflict).

Reading and dismissing run on threads and come back as `QueueLoaded`: a dismissal waits for the
store's write lock without freezing the screen."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from ..actions import bindings
from ..display import literal, plain, short_time
from ..i18n import STRINGS
from ..reads import guarded
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from ..writes import WriteFailed, write_off_thread
from .base import HotlineScreen

_STATE_STYLE = {"pending": "", "rejected": "bold red", "conflict": "bold yellow"}


class QueueLoaded(Message):
    """What the queue holds now: counts, the items, and their case numbers."""

    def __init__(self, info, items, numbers: dict[str, str]) -> None:
        super().__init__()
        self.info, self.items, self.numbers = info, items, numbers


def read_queue(store) -> QueueLoaded:
    from sqlmodel import col, select

    from models.store.tables import Case
    from sync.client import queue

    info = queue.info(store)
    items = queue.items(store)
    with store.session() as s:
        numbers = dict(s.exec(select(Case.id, Case.case_no)
                              .where(col(Case.id).in_({i.case_id for i in items}))).all())
    return QueueLoaded(info, items, numbers)


class QueueScreen(HotlineScreen[None]):
    DEFAULT_CSS = """
    QueueScreen #queue-summary { height: auto; padding: 0 1; }
    QueueScreen #queue { height: 1fr; }
    """
    SCOPE = "queue"
    BINDINGS = bindings(SCOPE)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="queue-summary")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, width in (("queue.col.seq", 6), ("col.created", 11), ("queue.col.state", 8),
                           ("col.case_no", 16), ("queue.col.why", None)):
            table.add_column(self.app.t(key), width=width)
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        store = self.app.store
        self.run_worker(lambda: guarded(self.app, lambda: self.post_message(read_queue(store))),
                        thread=True,
                        exclusive=True, group="queue")

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        info, items, numbers = message.info, message.items, message.numbers
        t = self.app.t
        counts = dict(pending=info.pending, rejected=info.rejected, conflicts=info.conflicts)
        summary = Text(t("queue.summary", server=plain(info.server), **counts) if info.server
                       else t("queue.summary_local", **counts))
        if info.last_error:
            summary.append("\n" + t("queue.last_error", error=plain(info.last_error)), style="red")
        self.query_one("#queue-summary", Static).update(summary)
        table = self.query_one(DataTable)
        table.clear()
        for item in items:
            what = f"queue.what.{item.name}"
            why = item.reason or (t(what) if what in STRINGS else item.name)
            table.add_row(Text(str(item.seq)), Text(short_time(item.created_at)),
                          Text(t(f"queue.state.{item.state}"), style=_STATE_STYLE.get(item.state, "")),
                          literal(numbers.get(item.case_id, item.case_id[:8])), literal(why),
                          key=str(item.seq))
        self._states = {str(i.seq): i.state for i in items}
        self._cases = {str(i.seq): i.case_id for i in items}

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_dismiss_item(self) -> None:
        """Remove a rejected or conflicting item the agent has read (a pending one must go out)."""
        from sync.client import queue

        seq = self._selected()
        if seq is None:
            return
        if self._states.get(seq) == "pending":
            self.notify(self.app.t("queue.pending_stays"), severity="warning")
            return
        store = self.app.store

        def write() -> QueueLoaded:
            queue.dismiss(store, int(seq))
            return read_queue(store)  # the same thread: the list shows the outcome

        self.query_one("#queue-summary", Static).update(
            Text(self.app.t("queue.dismissing", seq=seq), style="dim"))
        write_off_thread(self, "dismiss", write, context=seq)

    def on_write_failed(self, message: WriteFailed) -> None:
        self.notify(self.app.t("queue.dismiss_failed", seq=message.context, error=message.error),
                    severity="error", markup=False)
        self.action_reload()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from models.store.tables import Case

        from .case_view import CaseViewScreen

        case_id = self._cases.get(str(event.row_key.value), "")
        with self.app.store.session() as s:
            if s.get(Case, case_id) is not None:
                self.app.push_screen(CaseViewScreen(case_id))

    def action_back(self) -> None:
        self.app.pop_screen()
