"""The departments field of the intake form: one line showing the choice; typing opens the picker.

Type a name, an alias or pinyin initials (`cgj`) and the picker opens already filtered, with the
routing suggestions (and their reasons) on top when nothing is typed. In the picker Enter makes
the highlighted department the lead and closes it; Ctrl+O adds or removes a co-handling one;
Esc closes it keeping the choice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from ..actions import bindings
from ..display import literal, plain
from ..screens.base import HotlineModal
from .form_fields import OpensOnTyping


class DepartmentField(OpensOnTyping, Widget, can_focus=True):
    DEFAULT_CSS = """
    DepartmentField { height: 1; padding: 0 1; background: $boost; }
    DepartmentField:focus { background: $accent 40%; }
    DepartmentField.-blank { color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "app.focus_next", show=False),
        Binding("space,down", "open", show=False),
        Binding("backspace,delete", "clear", show=False),
    ]

    class Changed(Message):
        def __init__(self, field: DepartmentField) -> None:
            super().__init__()
            self.field = field

        @property
        def control(self) -> DepartmentField:
            return self.field

    def __init__(self, *, placeholder: str = "", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.placeholder = placeholder
        self.hint = ""  # e.g. the suggested lead, shown while nothing is chosen
        self.lead = ""
        self.co: list[str] = []
        self.departments: list[Any] = []  # models.store.tables.Department rows
        self.labels: dict[str, str] = {}
        self.suggestions: Any = None  # models.routing.Suggestions
        self._popup: DepartmentPickerScreen | None = None
        self.add_class("-blank")

    def set_choice(self, lead: str, co: Iterable[str] = ()) -> None:
        co = [c for c in co if c and c != lead]
        if (lead, co) == (self.lead, self.co):
            return
        self.lead, self.co = lead, co
        self.set_class(not lead and not co, "-blank")
        self.refresh()
        self.post_message(self.Changed(self))

    def render(self) -> Text:
        if not self.lead and not self.co:
            return literal(self.hint or self.placeholder)
        text = literal(self.labels.get(self.lead, self.lead), style="bold")
        if self.co:
            text.append(" + " + "、".join(plain(self.labels.get(c, c)) for c in self.co))
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

    def action_open(self, typed: str = "") -> None:
        if self._popup is None:
            self._popup = DepartmentPickerScreen(self, typed)
            self.app.push_screen(self._popup, self._picked)

    def action_clear(self) -> None:
        self.set_choice("", [])

    def _picked(self, choice: tuple[str, list[str]] | None) -> None:
        self._popup = None
        if choice is not None:
            self.set_choice(*choice)


class DepartmentPickerScreen(HotlineModal[tuple[str, list[str]] | None]):
    DEFAULT_CSS = """
    DepartmentPickerScreen { align: center middle; }
    DepartmentPickerScreen > DepartmentPicker {
        width: 76; max-width: 100%; border: round $accent; background: $panel;
    }
    """
    SCOPE = "picker_screen"
    BINDINGS = bindings(SCOPE)

    class SuggestionsFound(Message):
        """The routing suggestions for the case being dispatched, from a thread worker."""

        def __init__(self, suggestions: Any) -> None:
            super().__init__()
            self.suggestions = suggestions

    def __init__(self, field: DepartmentField, typed: str = "", *, case_ref: str = "") -> None:
        """`case_ref`: a filed case this picker dispatches; its suggestions are worked out
        after the picker opens (`models.cases.routing.suggest_for_case`)."""
        super().__init__()
        self.field = field
        self.typed = typed
        self.case_ref = case_ref

    def compose(self) -> ComposeResult:
        from .department_picker import DepartmentPicker  # with pinyin: loaded when first opened

        if not self.field.departments:  # opened before the form's catalogue load finished
            from models.reference.views import departments

            self.field.departments = departments(self.app.store)
        picker = DepartmentPicker(self.field.departments, lang=self.app.lang,
                                  lead=self.field.lead, co=self.field.co)
        yield picker

    def on_mount(self) -> None:
        picker = self._picker()
        picker.set_suggestions(self.field.suggestions)
        picker.focus()
        box = picker.query_one(Input)
        box.value = self.typed
        box.cursor_position = len(self.typed)
        if self.case_ref and self.field.suggestions is None:
            self.run_worker(self._suggest, thread=True, group="suggest", exit_on_error=False)

    def _suggest(self) -> None:
        from models.cases.routing import suggest_for_case

        app: Any = self.app
        found = suggest_for_case(app.router, app.similar, app.store, self.case_ref, app.lang)
        if found is not None:
            self.post_message(self.SuggestionsFound(found))

    def on_department_picker_screen_suggestions_found(self, event: SuggestionsFound) -> None:
        event.stop()
        self.field.suggestions = event.suggestions
        self._picker().set_suggestions(event.suggestions)

    def _picker(self):
        from .department_picker import DepartmentPicker

        return self.query_one(DepartmentPicker)

    def feed(self, character: str) -> None:
        """A key typed into the field while this picker was still opening."""
        if self.is_mounted:
            self._picker().query_one(Input).insert_text_at_cursor(character)
        else:
            self.typed += character

    def on_department_picker_changed(self, event) -> None:
        event.stop()
        if event.lead and event.lead != self.field.lead:  # Enter chose the lead: done
            self.dismiss((event.lead, list(event.co)))

    def action_done(self) -> None:
        picker = self._picker()
        self.dismiss((picker.lead, list(picker.co)))
