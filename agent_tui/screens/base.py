"""The base of every screen: bindings from the action registry, in the app's language.

A screen names its `SCOPE` (`agent_tui.actions`): its bindings are that scope's actions, and
the key bar, F1 and the command palette read the same registry. `HotlineScreen[T]` and
`HotlineModal[T]` are typed by what they dismiss with (`ModalScreen[bool]` and the like).
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.screen import ModalScreen, Screen

from ..keys import localise

T = TypeVar("T")


class HotlineScreen(Screen[T]):
    SCOPE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        localise(self, self.app.lang)


class HotlineModal(ModalScreen[T]):
    SCOPE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        localise(self, self.app.lang)
