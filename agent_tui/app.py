"""The Textual app: one store, one agent, one language; screens do the rest."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from models.store import Store

from .i18n import t
from .keys import localise


class HotlineApp(App[None]):
    CSS_PATH = "hotline.tcss"
    TITLE = "Hotline"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f1", "help", "key.help", id="help"),
        Binding("ctrl+q", "quit", "key.quit", id="quit", priority=True),
    ]

    def __init__(self, store: Store, *, lang: str = "en", agent: str = "agent") -> None:
        super().__init__()
        self.store = store
        self.lang = lang
        self.agent = agent
        self.title = t("app.title", lang)
        self.sub_title = f"{agent} · {t('app.local_mode', lang)}"
        localise(self, lang)

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def on_mount(self) -> None:
        from .screens.case_list import CaseListScreen

        self.push_screen(CaseListScreen())

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen())
