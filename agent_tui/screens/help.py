"""F1: every key the current screen and the app answer to (`agent_tui.actions`), with the
agent's own keys when the settings file remaps them."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from .. import actions
from .base import HotlineModal


class HelpScreen(HotlineModal[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 60; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    """
    SCOPE = "help"
    BINDINGS = actions.bindings(SCOPE)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._keys())

    def _keys(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        grid.add_row(Text(self.app.t("help.title"), style="underline"), Text(""))
        screen = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else self.app.screen
        for action, binding, _enabled in actions.reachable(screen):
            grid.add_row(Text(self.app.get_key_display(binding)), Text(self.app.t(action.label)))
        return grid
