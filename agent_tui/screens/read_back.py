"""Address read-back before dispatch: the agent reads the address to the caller, who confirms.

The seed's lesson: an officer misread one character of a compound's name and went to the wrong
place. The address is shown large and spaced, so each character can be checked aloud.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..actions import bindings
from ..display import literal
from .base import HotlineModal


def spaced(address: str) -> Text:
    """Han characters apart, numbers and Latin words whole: 大 杨 村 28 号, 350 W 42nd St,
    No.28 龙 蟠 中 路 (a Latin word read letter by letter is no easier to check aloud)."""
    out, run = [], ""
    for ch in address:
        if (ch.isascii() and ch.isalnum()) or ch.isdigit() or (run and ch in "-—/.'#"):
            run += ch
            continue
        if run:
            out.append(run)
            run = ""
        if not ch.isspace():
            out.append(ch)
    if run:
        out.append(run)
    return literal(" ".join(out), one_line=False, style="bold")


class ReadBackScreen(HotlineModal[bool]):
    DEFAULT_CSS = """
    ReadBackScreen { align: center middle; }
    ReadBackScreen > Vertical {
        width: 70; max-width: 100%; height: auto; border: thick $warning;
        background: $panel; padding: 1 2;
    }
    ReadBackScreen #readback-address { padding: 1 0; text-align: center; }
    ReadBackScreen #readback-hint { color: $text-muted; text-align: center; }
    """
    SCOPE = "read_back"
    BINDINGS = bindings(SCOPE)

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.app.t("readback.title"), style="bold"))
            yield Static(spaced(self.address), id="readback-address")
            yield Static(literal(self.address, one_line=False), id="readback-plain")
            yield Static(Text(self.app.t("readback.confirm")), id="readback-hint")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_correct(self) -> None:
        self.dismiss(False)
