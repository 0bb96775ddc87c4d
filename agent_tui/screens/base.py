"""The base of every screen: bindings in the app's language."""

from __future__ import annotations

from textual.screen import ModalScreen, Screen

from ..keys import localise


class HotlineScreen(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        localise(self, self.app.lang)


class HotlineModal(ModalScreen[None]):
    def __init__(self) -> None:
        super().__init__()
        localise(self, self.app.lang)
