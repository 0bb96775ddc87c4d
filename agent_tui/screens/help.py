"""F1: every key the current screen and the app answer to."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..keys import ours
from .base import HotlineModal


class HelpScreen(HotlineModal):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 60; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "key.back", id="close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._keys())

    def _keys(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        grid.add_row(Text(self.app.t("help.title"), style="underline"), Text(""))
        screen = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else self.app.screen
        seen: set[str] = set()
        for _, binding, _enabled, tooltip in screen.active_bindings.values():
            key = self.app.get_key_display(binding)
            if key in seen or not binding.description or not ours(binding):
                continue
            seen.add(key)
            grid.add_row(Text(key), Text(tooltip or binding.description))
        return grid
