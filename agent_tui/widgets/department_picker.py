"""The department picker of the intake form: filter, choose a lead and co-handling departments.

Type Chinese, English, an alias or pinyin initials (`cgj` → 城管局) to filter; ↑/↓ move; Enter
makes the highlighted department the lead; Ctrl+O adds or removes it as co-handling; Ctrl+R
clears the choice. Routing suggestions, with their reasons, are listed first until the agent
types. Every change of the choice posts `DepartmentPicker.Changed` (lead code, co codes).

The matching is `models.routing.match_departments`; this widget only shows and chooses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from models.reference.catalogue import department_label
from models.routing.pinyin import DepartmentLike, match_departments

from ..actions import bindings
from ..display import plain
from ..i18n import t
from ..keys import localise

MAX_SHOWN = 50


@dataclass
class _Entry:
    code: str
    name: str
    suggested: Any = None  # a models.routing.DepartmentSuggestion


class DepartmentPicker(Vertical, can_focus=False):
    DEFAULT_CSS = """
    DepartmentPicker { height: auto; max-height: 14; }
    DepartmentPicker > OptionList { height: auto; max-height: 10; border: none; padding: 0; }
    DepartmentPicker > #picker-choice { height: 1; padding: 0 1; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-8)", show=False),
        Binding("pagedown", "move(8)", show=False),
        *bindings("picker"),
    ]

    class Changed(Message):
        """The lead or the co-handling departments changed."""

        def __init__(self, picker: DepartmentPicker, lead: str, co: tuple[str, ...]) -> None:
            super().__init__()
            self.picker = picker
            self.lead = lead
            self.co = co

        @property
        def control(self) -> DepartmentPicker:
            return self.picker

    def __init__(self, departments: Iterable[DepartmentLike], *, lang: str = "en", lead: str = "",
                 co: Iterable[str] = (), id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lang = lang
        self._departments = list(departments)
        self._by_code = {d.code: d for d in self._departments}
        self._suggestions: list[Any] = []
        self.lead = lead
        self.co: list[str] = [c for c in co if c != lead]
        self._entries: list[_Entry] = []
        localise(self, lang)

    # --- public API -----------------------------------------------------------------------
    def set_suggestions(self, suggestions: Any | None) -> None:
        """Show a `models.routing.Suggestions` (or None) at the top of the list."""
        self._suggestions = list(suggestions.departments) if suggestions is not None else []
        self._refilter()

    def choose(self, lead: str, co: Iterable[str] = ()) -> None:
        """Set the choice from outside (a restored draft); posts Changed."""
        self.lead = lead
        self.co = [c for c in co if c and c != lead]
        self._changed()

    # --- composition ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("picker.placeholder", self.lang), id="picker-filter", compact=True)
        options = OptionList(id="picker-options")
        options.can_focus = False
        yield options
        yield Static(id="picker-choice")

    def on_mount(self) -> None:
        self._refilter()
        self._show_choice()

    def on_resize(self) -> None:
        self._refilter()
        self._show_choice()

    def focus(self, scroll_visible: bool = True) -> DepartmentPicker:
        self.query_one(Input).focus(scroll_visible)
        return self

    # --- behaviour ------------------------------------------------------------------------
    def _label(self, code: str) -> str:
        dept = self._by_code.get(code)
        return department_label(dept, self.lang) if dept is not None else code

    @on(Input.Changed, "#picker-filter")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._refilter()

    def _refilter(self) -> None:
        if not self.is_mounted:
            return
        query = self.query_one(Input).value
        entries: list[_Entry] = []
        if not query.strip():
            for s in self._suggestions:
                entries.append(_Entry(s.code, s.name, s))
        shown = {e.code for e in entries}
        for match in match_departments(self._departments, query, MAX_SHOWN):
            if match.code not in shown:
                entries.append(_Entry(match.code, self._label(match.code)))
                shown.add(match.code)
        self._entries = entries
        options = self.query_one(OptionList)
        options.clear_options()
        if not entries:
            options.add_option(Option(Text(t("picker.no_match", self.lang, query=query),
                                           style="dim"), disabled=True))
            return
        options.add_options([Option(self._prompt(e), id=e.code) for e in entries])
        options.highlighted = 0

    def _prompt(self, entry: _Entry) -> Text:
        mark = ("● " if entry.code == self.lead else "+ " if entry.code in self.co else "  ")
        text = Text(mark, style="bold")
        suggestion = entry.suggested
        text.append(plain(entry.name), style="bold red" if suggestion is not None and suggestion.warning
                    else "bold" if suggestion is not None else "")
        if suggestion is not None:
            role = t("route.role_co" if suggestion.role == "co" else "route.role_lead", self.lang)
            text.append(f"  {t('picker.suggested', self.lang)}·{role}", style="cyan")
            for reason in suggestion.reasons[:2]:
                text.append(f"  {'⚠ ' if reason.warning else '· '}{plain(reason.text(self.lang))}",
                            style="red" if reason.warning else "dim")
        # One line per department, cut by terminal cells (Chinese is two cells wide).
        text.truncate(max(self.size.width - 2, 20), overflow="ellipsis")
        return text

    def _highlighted(self) -> str | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not self._entries or index >= len(self._entries):
            return None
        return self._entries[index].code

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if not self._entries:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self._entries) - 1, current + delta))

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        code = self._highlighted()
        if code is None:
            return
        self.co = [c for c in self.co if c != code]
        self.lead = code
        self._changed()

    def action_toggle_co(self) -> None:
        code = self._highlighted()
        if code is None or code == self.lead:
            return
        if code in self.co:
            self.co.remove(code)
        else:
            self.co.append(code)
        self._changed()

    def action_clear(self) -> None:
        self.lead, self.co = "", []
        self._changed()

    def _changed(self) -> None:
        if self.is_mounted:
            options = self.query_one(OptionList)
            keep = options.highlighted
            self._refilter()
            if keep is not None and keep < len(self._entries):
                options.highlighted = keep
            self._show_choice()
        self.post_message(self.Changed(self, self.lead, tuple(self.co)))

    def _show_choice(self) -> None:
        line = Text()
        line.append(f"{t('picker.lead', self.lang)}: ", style="bold")
        line.append(plain(self._label(self.lead)) if self.lead else t("picker.none", self.lang))
        line.append(f"   {t('picker.co', self.lang)}: ", style="bold")
        line.append("、".join(plain(self._label(c)) for c in self.co) if self.co else t("picker.none", self.lang))
        line.truncate(max(self.size.width - 2, 20), overflow="ellipsis")
        self.query_one("#picker-choice", Static).update(line)
