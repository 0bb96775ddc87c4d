"""Quitting with changes not yet on the server: say so (they are kept, and sent next time)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..actions import bindings
from .base import HotlineModal


class QuitConfirmScreen(HotlineModal[bool]):
    DEFAULT_CSS = """
    QuitConfirmScreen { align: center middle; }
    QuitConfirmScreen > Vertical {
        width: 64; max-width: 100%; height: auto; border: thick $warning; background: $panel;
        padding: 1 2;
    }
    """
    SCOPE = "quit_confirm"
    BINDINGS = bindings(SCOPE)

    def __init__(self, pending: int) -> None:
        super().__init__()
        self.pending = pending

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.app.t("quit.pending", n=self.pending), style="bold"))
            yield Static(Text(self.app.t("quit.kept")))
            yield Static(Text(self.app.t("quit.keys"), style="dim"))

    def action_quit(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)
