"""The base of every screen: bindings from the action registry, in the app's language.

A screen names its `SCOPE` (`agent_tui.actions`): its bindings are that scope's actions, and
the key bar, F1 and the command palette read the same registry. `HotlineScreen[T]` and
`HotlineModal[T]` are typed by what they dismiss with (`ModalScreen[bool]` and the like).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from textual.screen import ModalScreen, Screen

from ..keys import localise

T = TypeVar("T")


class HotlineScreen(Screen[T]):
    SCOPE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        localise(self, self.app.lang)

    def search_box(self) -> Any:
        """A list screen's search or filter field, opened (None: the screen has none). A
        character typed on the list goes there: F9 then the caller's question, as typed."""
        return None

    def on_key(self, event: Any) -> None:
        character = event.character
        if not event.is_printable or not character or character in " /":
            return  # (`/` is the screen's own key to the field; space marks or pages)
        from textual.widgets import DataTable

        if not isinstance(self.focused, DataTable):
            return
        box = self.search_box()
        if box is None:
            return
        event.stop()
        event.prevent_default()
        box.focus()
        box.insert_text_at_cursor(character)


class HotlineModal(ModalScreen[T]):
    SCOPE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        localise(self, self.app.lang)
