"""Form fields that follow the intake conventions.

`ChoiceField` is a one-line choice: one widget (a Select is six), so the form comes up fast.
Enter moves on like every other field; Space or Down opens the list; typing a letter opens it
already filtered; Left and Right step through the choices without opening anything.

A field can show a suggestion (`suggest`): a blank one shows it in place of its prompt, and one
that holds its default value the agent has not chosen (the location kind's "other") shows it in
place of that value; `offered` is what accepting it would choose. Either way the list opens on it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.widgets.select import InvalidSelectValueError

from ..display import literal

__all__ = ["ChoiceField", "InvalidSelectValueError"]


class OpensOnTyping:
    """A one-line field whose list opens when a character is typed into it, already filtered.

    Subclasses keep `_popup` (the list screen while it is open) and define `action_open(typed)`.
    """

    _popup: ModalScreen | None

    def on_key(self, event: Key) -> None:
        if event.is_printable and event.character and event.character != " ":
            event.stop()
            if self._popup is not None:  # still opening: the key belongs to its filter
                self._popup.feed(event.character)
            else:
                self.action_open(event.character)


class ChoiceField(OpensOnTyping, Widget, can_focus=True):
    DEFAULT_CSS = """
    ChoiceField { height: 1; width: 1fr; padding: 0 1; background: $boost; }
    ChoiceField:focus { background: $accent 40%; }
    ChoiceField.-blank { color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "app.focus_next", "Next", show=False),
        Binding("space,down", "open", "Choose", show=False),
        Binding("left", "step(-1)", show=False),
        Binding("right", "step(1)", show=False),
    ]

    value: reactive[str] = reactive("", init=False)

    class Changed(Message):
        def __init__(self, field: ChoiceField, value: str) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> ChoiceField:
            return self.field

    def __init__(self, options: list[tuple[str, str]], *, value: str = "", prompt: str = "",
                 allow_blank: bool = True, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._options = list(options)
        self.prompt = prompt
        self.suggested = ""  # highlighted in the list while nothing is chosen
        self._popup: ChoicePopup | None = None
        self.allow_blank = allow_blank
        if value:
            self.set_reactive(ChoiceField.value, value)
        elif not allow_blank and self._options:
            self.set_reactive(ChoiceField.value, self._options[0][1])
        self.default = self.value  # what the field holds until someone chooses
        self.chosen = False  # the agent chose the value (a suggestion no longer stands in for it)
        self._restyle()

    # --- the Select-like surface the form uses ------------------------------------------------
    def validate_value(self, value: str) -> str:
        if value == "" and self.allow_blank:
            return value
        if value not in {v for _, v in self._options}:
            raise InvalidSelectValueError(f"{value!r} is not one of the choices")
        return value

    def watch_value(self, value: str) -> None:
        self._restyle()
        self.post_message(self.Changed(self, value))

    def _restyle(self) -> None:
        """Muted while it shows a prompt or a suggestion rather than a value of its own."""
        self.set_class(not self.value or bool(self.offered), "-blank")

    # --- a suggestion ---------------------------------------------------------------------------
    def suggest(self, value: str, prompt: str) -> None:
        """Show `value` as a suggestion, `prompt` its words ("" and the field's prompt: none)."""
        self.suggested, self.prompt = value, prompt
        self._restyle()
        self.refresh()

    @property
    def offered(self) -> str:
        """The suggestion accepting would choose: shown while the field is blank, or holds its
        default and the agent has not chosen; "" when there is none."""
        if not self.suggested or self.suggested == self.value or self.suggested not in self.values:
            return ""
        return self.suggested if self.is_blank() or (
            not self.chosen and self.value == self.default) else ""

    def forget_choice(self) -> None:
        """Hold the value as if nobody had chosen it (a new call, a draft restored)."""
        self.chosen = False
        self._restyle()

    def is_blank(self) -> bool:
        return self.value == ""

    def clear(self) -> None:
        if not self.allow_blank:
            raise InvalidSelectValueError("this choice cannot be left blank")
        self.value = ""

    def set_options(self, options: list[tuple[str, str]]) -> None:
        self._options = list(options)
        if self.value and self.value not in {v for _, v in self._options}:
            self.value = "" if self.allow_blank else (self._options[0][1] if self._options else "")
        self.refresh()

    @property
    def values(self) -> list[str]:
        return [v for _, v in self._options]

    @property
    def label(self) -> str:
        return next((label.strip() for label, v in self._options if v == self.value), "")

    def render(self) -> Text:
        text = literal(self.prompt if self.offered or not self.label else self.label)
        room = self.content_size.width - 2
        text.truncate(max(room, 1), overflow="ellipsis", pad=True)
        return text + Text(" ▾")

    # --- choosing ------------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        values = [v for _, v in self._options]
        if self.allow_blank:
            values = ["", *values]
        if not values:
            return
        i = values.index(self.value) if self.value in values else 0
        self.chosen = True
        self.value = values[(i + delta) % len(values)]
        self._restyle()

    def action_open(self, typed: str = "") -> None:
        if self._popup is None:
            self._popup = ChoicePopup(self._options, self.offered or self.value or self.suggested,
                                      typed)
            self.app.push_screen(self._popup, self._chosen)

    def _chosen(self, value: str | None) -> None:
        self._popup = None
        if value is not None:
            self.chosen = True
            self.value = value
            self._restyle()
            self.refresh()
        self.focus()

class ChoicePopup(ModalScreen[str | None]):
    """The list of choices, filtered as you type (Chinese or English labels)."""

    DEFAULT_CSS = """
    ChoicePopup { align: center middle; }
    ChoicePopup > Vertical {
        width: 40; max-width: 100%; height: auto; max-height: 80%;
        border: round $accent; background: $panel;
    }
    ChoicePopup Input { margin: 0 0 1 0; }
    ChoicePopup OptionList { height: auto; max-height: 16; border: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Back", show=False),
                Binding("down", "down", show=False, priority=True),
                Binding("up", "up", show=False, priority=True)]

    def __init__(self, options: list[tuple[str, str]], current: str, typed: str = "") -> None:
        super().__init__()
        self.options = options
        self.current = current
        self.typed = typed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(value=self.typed, compact=True, id="choice-filter")
            yield OptionList(id="choice-list")

    def on_mount(self) -> None:
        self._fill(self.typed)
        box = self.query_one(Input)
        box.focus()
        box.cursor_position = len(self.typed)

    def feed(self, character: str) -> None:
        """A key typed into the field while this list was still opening."""
        if self.is_mounted:
            self.query_one(Input).insert_text_at_cursor(character)
        else:
            self.typed += character

    def _fill(self, text: str) -> None:
        needle = text.strip().lower()
        shown = [(label, v) for label, v in self.options
                 if not needle or needle in label.lower() or needle in v.lower()]
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options([Option(literal(label), id=v) for label, v in shown])
        values = [v for _, v in shown]
        listing.highlighted = values.index(self.current) if self.current in values else (0 if values else None)

    @on(Input.Changed, "#choice-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#choice-filter")
    def _pick_highlighted(self) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is not None:
            self.dismiss(listing.get_option_at_index(listing.highlighted).id)

    @on(OptionList.OptionSelected)
    def _pick(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
