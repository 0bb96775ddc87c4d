"""Form fields that follow the intake conventions: Enter moves on, choices open with Space/Down."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Select


class ChoiceField(Select[str]):
    """A compact Select where Enter goes to the next field, as in every other one-line field."""

    BINDINGS = [
        Binding("enter", "app.focus_next", "Next", show=False),
        Binding("space,down", "show_overlay", "Choose", show=False),
    ]
