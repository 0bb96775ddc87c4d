"""The sync status line: online / sending / offline, queue depth and oldest age, conflicts and
rejections. Fed by `sync.client.worker.SyncWorker` (see `watch`), never touching the network."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..display import format_age
from ..i18n import t

_STYLE = {"online": "green", "sending": "yellow", "connecting": "yellow", "offline": "red",
          "auth": "bold red", "too_old": "bold red", "error": "red", "local": "dim"}


COMPACT_BELOW = 100  # columns: narrower, the line leaves the queue's age and the retry to F7


def render_status(status, lang: str = "en", compact: bool = False) -> Text:
    """A one-line rendering of a `SyncStatus` (pure: used by the widget and by tests).
    `compact` (a narrow terminal): the queue's count without its oldest age, no retry countdown,
    so that the message beside it (what was just saved) keeps its room; F7 has the details."""
    text = Text()
    text.append("● ", style=_STYLE.get(status.state, ""))
    text.append(t(f"sync.{status.state}", lang), style=_STYLE.get(status.state, ""))
    if getattr(status, "pulling", None):
        done, total = status.pulling
        text.append("  " + t("sync.pulling", lang, done=done, total=total), style="yellow")
    if status.queue and compact:
        text.append("  " + t("sync.queued_short", lang, n=status.queue))
    elif status.queue:
        text.append("  " + t("sync.queued", lang, n=status.queue, age=format_age(status.oldest_age)))
    if status.state == "offline" and status.retry_in and not compact:
        text.append("  " + t("sync.retry_in", lang, seconds=max(1, round(status.retry_in))), style="dim")
    if status.conflicts:
        text.append("  " + t("sync.conflicts", lang, n=status.conflicts), style="bold yellow")
    if status.rejected:
        text.append("  " + t("sync.rejected", lang, n=status.rejected), style="bold red")
    return text


class SyncStatusLine(Static):
    """Shows a SyncWorker's status. `watch(worker)` subscribes; updates hop to the UI thread."""

    DEFAULT_CSS = """
    SyncStatusLine { height: 1; width: 1fr; padding: 0 1; }
    """

    def __init__(self, lang: str = "en", **kwargs) -> None:
        super().__init__("", **kwargs)
        self.lang = lang
        self._status = None

    def watch_worker(self, worker) -> None:
        """Follow a SyncWorker: show its status now and on every change."""
        self.show(worker.status)
        worker.add_listener(self._from_worker)

    def _from_worker(self, status) -> None:  # called on the worker's thread
        try:
            self.app.call_from_thread(self.show, status)
        except RuntimeError:  # the app is gone or not running
            pass

    def show(self, status) -> None:
        """(Called on every change, the retry countdown's each second: a resize is followed.)"""
        self._status = status
        self.update(render_status(status, self.lang, self.app.size.width < COMPACT_BELOW))
