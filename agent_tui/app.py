"""The Textual app: one store, one agent, one language; screens do the rest.

The app owns navigation (F2 new call, F3 drafts, F4 cases, F6 lead review, F7 queue, F8
callback queue, F9 knowledge, F1 help:
`agent_tui.actions`), the user's key map, the command palette's list of actions, and the
intake screen, which is always at the bottom of the stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import events, work
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.screen import Screen

from models.domain.timeutil import now
from models.store import Store
from models.store.draft_writer import DraftWriter

from . import actions, collector
from .i18n import t
from .keys import localise
from .phrases import PhraseExpander, params_for
from .reads import StoreTrouble, store_read
from .services import SharedKnowledge, SharedRouter, SharedSearch


def _actions_provider():
    from .palette import ActionsProvider

    return ActionsProvider


class HotlineApp(App[None]):
    CSS_PATH = Path(__file__).parent / "hotline.tcss"  # absolute: subclasses live elsewhere
    TITLE = "Hotline"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {_actions_provider}
    BINDINGS = actions.bindings(actions.APP)
    RING_POLL = 0.5  # seconds: how soon a call told by `hotline ring` pops up

    def __init__(self, store: Store, *, lang: str = "en", agent: str = "agent",
                 clock: Callable[[], datetime] = now, keymap: dict[str, str] | None = None,
                 start_sync: Callable[[], Any] | None = None) -> None:
        super().__init__()
        # Searches and suggestions run on threads; a short switch interval hands the interpreter
        # back to the UI thread within a millisecond when a key arrives.
        sys.setswitchinterval(0.001)
        self.store = store
        self.clock = clock  # what "now" is for ages on screen (fixed in snapshot tests)
        self.drafts = DraftWriter(store.path)  # the intake form's drafts, written off the UI
        self.start_sync = start_sync  # makes the SyncWorker (None: local mode), after the first frame
        self.sync_worker: Any = None
        self.similar = SharedSearch(store)
        self.router = SharedRouter(store)
        self.knowledge = SharedKnowledge(store)
        self.phrases = PhraseExpander()  # `;gr` then Tab in any text field
        self.lang = lang
        self.agent = agent
        self.title = t("app.title", lang)
        self.sub_title = f"{agent} · {t('app.local_mode', lang)}"
        localise(self, lang)
        if keymap:
            self.set_keymap(keymap)  # the settings file's [keymap]: action id -> keys

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def get_default_screen(self) -> Screen:
        # The app opens straight on the intake form, ready for a call: the form is the bottom of
        # the stack itself, not pushed over an empty default screen (one screen fewer to lay out
        # and resume before the first frame: about 10 ms of the cold start).
        from .screens.intake import IntakeScreen

        self.intake = IntakeScreen()
        return self.intake

    def on_mount(self) -> None:
        self.set_interval(self.RING_POLL, self._poll_rings)

    async def on_event(self, event: events.Event) -> None:
        # A key typed in the first milliseconds, while the form is still being composed, would
        # go to the bare screen and be lost: it waits until the phone field has the focus.
        if isinstance(event, events.Key) and self.focused is None and self.screen is self.intake:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.intake.focus_given.wait(), 5)
        await super().on_event(event)

    def on_ready(self) -> None:
        # Once the form is on screen (the refresh after Ready draws it): loading the ORM, the
        # catalogue and the sync client on threads would otherwise compete for the interpreter
        # with drawing it. Keys typed meanwhile already go to the form.
        self.call_after_refresh(self._warm_up)

    def _warm_up(self) -> None:
        collector.resume()  # paused by `hotline` since its first line (agent_tui.collector)
        self.intake.load_reference()
        self._load_phrases()
        if self.start_sync is not None:
            self._start_sync()

    @work(thread=True, group="phrases")
    @store_read
    def _load_phrases(self) -> None:
        from models.kb.phrases import Phrasebook

        book = Phrasebook.load(self.store)
        self.call_from_thread(self.phrases.loaded, book)

    # --- quick phrases: Tab after a `;code` ---------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "expand_phrase":  # on only where it would expand: Tab moves on otherwise
            return self.phrases.code_at_cursor(self.focused, self.lang) is not None
        return True

    def action_expand_phrase(self) -> None:
        screen = self.screen
        if not self.phrases.expand(self.focused, self.lang, lambda: params_for(screen, self)):
            raise SkipAction()

    @work(thread=True, group="sync-start")
    def _start_sync(self) -> None:
        worker = self.start_sync()
        if worker is not None:
            self.call_from_thread(self._sync_started, worker)

    def _sync_started(self, worker: Any) -> None:
        self.sync_worker = worker
        self.sub_title = f"{self.agent} · {worker.server}"
        self.intake.watch_sync(worker)

    def on_store_trouble(self, trouble: StoreTrouble) -> None:
        """A read (a lookup, a list) found the store's disk or file failing: said once, not for
        every lookup; what is typed stays on screen (agent_tui.reads)."""
        if trouble.sentence != getattr(self, "_store_said", ""):
            self._store_said = trouble.sentence
            self.notify(trouble.sentence, severity="error", timeout=30, markup=False)

    def on_case_saved(self) -> None:
        """A save or an attached call queued a change: send it now rather than at the timer."""
        if self.sync_worker is not None:
            self.sync_worker.wake()

    # --- navigation: from any screen (dialogs answer their own keys) ---------------------------
    def to_intake(self):
        """Back to the intake form (the call on it is kept as a draft); returns its screen."""
        self.intake.keep_draft()
        while self.screen is not self.intake and len(self.screen_stack) > 1:
            self.pop_screen()
        return self.intake

    def go(self, screen: Screen, callback: Callable[[Any], None] | None = None) -> None:
        """Open a screen over the intake form (not over another screen: Esc comes home)."""
        self.to_intake()
        self.push_screen(screen, callback)

    def action_new_call(self) -> None:
        self.to_intake().start_call()

    def action_drafts(self) -> None:
        from .screens.drafts import DraftsScreen

        self.go(DraftsScreen(), self.intake.resume_chosen)

    def action_cases(self) -> None:
        from .screens.case_list import CaseListScreen

        self.go(CaseListScreen())

    def action_lead(self) -> None:
        from .screens.lead import LeadScreen

        self.go(LeadScreen())

    def action_queue(self) -> None:
        from .screens.queue import QueueScreen

        self.go(QueueScreen())

    def action_callbacks(self) -> None:
        from .screens.callbacks import CallbackScreen

        self.go(CallbackScreen())

    def actor(self) -> Any:
        """Who takes lifecycle steps here: this agent, with the role (and department) the
        server gave this terminal's token on its last pull (an agent until it has said)."""
        from models.domain.lifecycle import Actor, Role
        from sync.client.queue import DEPARTMENT, ROLE

        role = self.store.get_meta(ROLE) or Role.AGENT.value
        return Actor(self.agent, Role(role), self.store.get_meta(DEPARTMENT) or "")

    def action_knowledge(self) -> None:
        from .screens.knowledge import KnowledgeScreen

        self.go(KnowledgeScreen())

    def action_kb_gaps(self) -> None:
        """`g` on the lead review: the knowledge gaps, over it (Escape goes back to it)."""
        from .screens.kb_gaps import KbGapsScreen

        self.push_screen(KbGapsScreen())

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, less those the actions list already has (quit, keys)."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Keys"):
                yield command

    # --- screen pops from the phone system ------------------------------------------------------
    def _poll_rings(self) -> None:
        self._take_rings()

    @work(thread=True, exclusive=True, group="rings")
    @store_read
    def _take_rings(self) -> None:
        from models.store.drafts import take_rings

        for ring in take_rings(self.store):
            self.call_from_thread(self.ringing, ring.number)

    def ringing(self, number: str) -> None:
        """Screen pop: back to the intake form with a new call for `number`."""
        self.to_intake().start_call(number)

    # --- quitting -----------------------------------------------------------------------------
    async def action_quit(self) -> None:
        self.intake.keep_draft()  # the last keystrokes, not yet written by the draft timer
        pending = self.sync_worker.pending() if self.sync_worker is not None else 0
        if pending:
            from .screens.quit_confirm import QuitConfirmScreen

            self.push_screen(QuitConfirmScreen(pending), self._quit_confirmed)
            return
        self.exit()

    def _quit_confirmed(self, quit_anyway: bool | None) -> None:
        if quit_anyway:
            self.exit()

    def on_unmount(self) -> None:
        collector.resume()  # also for an app that ends before its first frame
        self.drafts.stop()  # everything handed over is on disk before the process ends
        self.router.close()
        if self.sync_worker is not None:
            self.sync_worker.stop()
