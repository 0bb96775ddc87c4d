"""The intake screen, where an agent lives during a call: a composition of the form
(`intake.form`), the prior cases beside it, the knowledge articles under them and the status
line. What works behind it has its own home, off the UI thread, its answers coming back as
typed messages handled here: the lookups (`intake.lookup`), the draft keeper
(`intake.draft_keeper`), saving (`intake.filing`) and answering from an article
(`intake.answering`). Navigation is the app's.
"""

from __future__ import annotations

import asyncio
from functools import cached_property
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from ..actions import bindings
from ..intake.answering import ArticleAnswerer
from ..intake.draft_keeper import DRAFT_DELAY, DraftKeeper, DraftLoaded
from ..intake.form import LOOKUP_FIELDS, FormKeys, IntakeForm, ReferenceLoaded, read_reference
from ..intake.lookup import LOOKUP_DELAY, LookupController
from ..reads import guarded
from ..widgets.article_strip import ArticleStrip
from ..widgets.key_bar import KeyBar
from ..widgets.prior_cases import PriorCasesPanel
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen

if TYPE_CHECKING:  # saving's modules load with the first save, not on the cold start
    from textual.events import ScreenResume

    from models.domain.case_shape import CaseDraft
    from models.kb.answers import AnsweredFrom

    from ..intake.filing import CallAttached, CallFiler, CaseFiled, DraftChecked
    from ..intake.lookup import (
        ArticlesFound,
        CallerHistoryFound,
        PriorCasesFound,
        SuggestionsReady,
    )
    from ..writes import WriteFailed

__all__ = ["DRAFT_DELAY", "LOOKUP_DELAY", "IntakeScreen"]
WIDE = 120  # from this width the prior-cases panel sits beside the form


class IntakeScreen(FormKeys, HotlineScreen[None]):
    AUTO_FOCUS = "#phone"  # focused as the screen composes: the first keystroke is the phone's
    DEFAULT_CSS = """
    IntakeScreen #intake-body { layout: vertical; height: 1fr; }
    IntakeScreen.-wide #intake-body { layout: horizontal; }
    IntakeScreen #form { height: auto; padding: 0 1; }
    IntakeScreen.-wide #form { width: 72; }
    IntakeScreen #side { height: 1fr; }
    IntakeScreen.-wide #side { border-left: solid $primary-darken-2; }
    IntakeScreen.-wide PriorCasesPanel { border-top: none; }
    IntakeScreen #status-row { height: 1; }
    IntakeScreen #status { width: 1fr; height: 1; padding: 0 1; color: $text-muted;
                           text-wrap: nowrap; text-overflow: ellipsis; }
    IntakeScreen SyncStatusLine { width: auto; }
    """
    SCOPE = "intake"
    BINDINGS = [*bindings(SCOPE), *FormKeys.BINDINGS]

    def __init__(self) -> None:
        super().__init__()
        self.focus_given = asyncio.Event()  # set once the phone field has the focus (the app waits)
        self._resumed = False
        self.keeper = DraftKeeper(self)
        self.lookups = LookupController(self)
        self.answerer = ArticleAnswerer(self)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="intake-body"):
            yield IntakeForm(id="form")
            with Vertical(id="side"):
                yield PriorCasesPanel(id="prior-panel")
                yield ArticleStrip(id="articles")
        with Horizontal(id="status-row"):
            yield Static(Text(self.app.t("intake.ready")), id="status")
        yield KeyBar()

    @property
    def form(self) -> IntakeForm:
        return self.query_one(IntakeForm)

    @property
    def answered(self) -> AnsweredFrom | None:
        """The article this call was answered from (the save records it)."""
        return self.answerer.answered

    @answered.setter
    def answered(self, value: AnsweredFrom | None) -> None:
        self.answerer.answered = value

    @cached_property
    def filer(self) -> CallFiler:
        from ..intake.filing import CallFiler

        return CallFiler(self)

    def on_mount(self) -> None:
        self.on_resize()
        self.set_focus(self.query_one("#phone"))  # now, not later: the app may be ready first
        self.focus_given.set()

    def on_resize(self, event=None) -> None:
        self.set_class((event.size if event else self.app.size).width >= WIDE, "-wide")

    def load_reference(self) -> None:
        """The catalogue and an unsaved call to restore, read on a thread after the first frame;
        then the router learns what was saved or synced since the last start."""
        app = self.app

        def load() -> None:
            loaded = read_reference(app)
            self.post_message(loaded)
            if loaded.catalogue_changed:  # a suggestion asked for meanwhile made the router
                app.router.reload()
            app.router.refresh()

        self.run_worker(lambda: guarded(app, load), thread=True, group="reference")

    def on_reference_loaded(self, loaded: ReferenceLoaded) -> None:
        from ..display import full_time

        self.form.set_reference(loaded)
        self.lookups.dept_labels = self.form.dept_labels
        if not loaded.unsaved:
            return
        if self.keeper.draft_id is None and self.collect().is_blank():
            latest = loaded.unsaved[0]
            self.resume(latest.id, latest.case_draft)
            self.status(self.app.t("intake.restored", time=full_time(latest.updated_at)))
        else:  # the agent is already on a new call: the old one waits in Drafts
            self.status(self.app.t("intake.put_aside"))

    def watch_sync(self, worker) -> None:
        """Online / sending / offline, the queue and its oldest age, at the end of the status row."""
        from ..widgets.sync_status import SyncStatusLine

        line = SyncStatusLine(self.app.lang)
        self.query_one("#status-row").mount(line)
        line.watch_worker(worker)

    # --- the call on the form -----------------------------------------------------------------
    def collect(self) -> CaseDraft:
        return self.form.collect()

    def fill(self, draft: CaseDraft, draft_id: str | None = None) -> None:
        self.answered = None  # another call (or the same one restored): not answered from here
        self.form.fill(draft)
        self.keeper.shown(draft_id, draft)  # what the form now shows is what the draft holds

    def on_intake_form_edited(self, event: IntakeForm.Edited) -> None:
        self.keeper.later()
        if event.field_id in LOOKUP_FIELDS:
            self.lookups.later()

    def keep_draft(self) -> None:
        self.keeper.keep()

    def resume(self, draft_id: str | None, draft: CaseDraft) -> None:
        """Back to a call put aside; the one on screen (if any) goes to Drafts."""
        self.keeper.keep()
        self.fill(draft, draft_id)
        self.lookups.now()
        self.query_one("#phone").focus()

    def resume_chosen(self, draft_id: str | None) -> None:
        """Drafts (F3) closed on a call: read it on a thread, then resume it."""
        if draft_id and draft_id != self.keeper.draft_id:
            self.keeper.load(draft_id)

    def on_draft_loaded(self, loaded: DraftLoaded) -> None:
        self.resume(loaded.draft_id, loaded.draft)

    def start_call(self, number: str = "") -> None:
        """A fresh form; the call in progress (if any) stays in Drafts."""
        self.keeper.keep()
        kept = self.keeper.draft_id is not None
        from models.domain.case_shape import CaseDraft  # pydantic: after the first frame

        self.reset_form(CaseDraft(caller_phone=number))
        t = self.app.t
        if number:
            self.query_one("#description").focus()
            self.call_after_refresh(self.lookups.now)
            self.call_after_refresh(self.keeper.keep)
            self.status(t("intake.ringing", number=number) if kept else t("intake.history", n="…"))
        else:
            self.status(t("intake.put_aside") if kept else t("intake.ready"))

    def reset_form(self, draft: CaseDraft | None = None) -> None:
        """Ready for the next call."""
        self.lookups.forget()
        if draft is None:
            from models.domain.case_shape import CaseDraft  # pydantic: after the first frame

            draft = CaseDraft()
        self.fill(draft)
        self.query_one(PriorCasesPanel).clear()
        self.query_one(ArticleStrip).clear()
        self.refresh_bindings()  # no article, no case: Ctrl+G, Ctrl+T and F5 leave the key bar
        self.form.show_suggestions(None)
        self.query_one("#phone").focus()

    # --- what the lookups found ---------------------------------------------------------------
    def on_caller_history_found(self, found: CallerHistoryFound) -> None:
        if self.lookups.is_current(found):
            self.form.fill_name(found.history.name)
            self.query_one(PriorCasesPanel).show_found(self._dept_label, history=found.history)
            self.refresh_bindings()  # F5 comes and goes with the cases listed

    def on_prior_cases_found(self, found: PriorCasesFound) -> None:
        if self.lookups.is_current(found):
            self.query_one(PriorCasesPanel).show_found(self._dept_label, hits=found.hits)
            self.refresh_bindings()

    def _dept_label(self, code: str) -> str:
        return self.lookups.dept_labels.get(code, code)

    def on_suggestions_ready(self, ready: SuggestionsReady) -> None:
        if self.lookups.is_current(ready):
            self.form.show_suggestions(ready.suggestions)

    def on_articles_found(self, found: ArticlesFound) -> None:
        if self.lookups.is_current(found):
            self.query_one(ArticleStrip).show(found.hits)
            self.refresh_bindings()  # Ctrl+G / Ctrl+T come and go with the articles

    # --- answering from an article (`intake.answering`) -------------------------------------
    def shows_on_bar(self, action_id: str) -> bool:
        """F5 (this call is about that case) is on the key bar while the panel lists a case to
        attach it to; pressed without one, it still says what to do."""
        return action_id != "attach" or self.query_one(PriorCasesPanel).selected is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_article", "answer_from_article"):
            return self.answerer.offered()
        return super().check_action(action, parameters)  # the form's keys decide theirs

    def action_open_article(self) -> None:
        self.answerer.open_selected()

    def on_article_strip_open(self, event: ArticleStrip.Open) -> None:
        self.answerer.open(event.hit)

    def action_answer_from_article(self) -> None:
        self.answerer.answer_selected()

    def on_prior_cases_panel_open(self, event: PriorCasesPanel.Open) -> None:
        from .case_view import CaseViewScreen

        self.keeper.keep()
        self.app.push_screen(CaseViewScreen(event.case_id))

    def action_open_prior(self) -> None:
        case_id = self.query_one(PriorCasesPanel).selected
        if case_id:
            self.on_prior_cases_panel_open(PriorCasesPanel.Open(case_id))

    def action_back(self) -> None:
        self.form.clear_problems()

    # --- saving: checked, read back, written off the UI thread (`intake.filing`) --------------
    def action_save(self) -> None:
        self.filer.save()

    def action_attach(self) -> None:
        self.filer.attach(self.query_one(PriorCasesPanel).selected)

    def on_draft_checked(self, checked: DraftChecked) -> None:
        self.filer.checked(checked)

    def on_screen_resume(self, event: ScreenResume) -> None:
        # The first resume comes straight after the mount, which styled every node: Textual's
        # restyle of the whole screen (its handler runs after this one) would only repeat that
        # work before the first frame.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
        if "filer" in self.__dict__:  # nothing saved yet, nothing to refocus after a save
            self.filer.resumed()

    def on_case_filed(self, filed: CaseFiled) -> None:
        self.filer.landed(filed)

    def on_call_attached(self, attached: CallAttached) -> None:
        self.filer.landed(attached)

    def on_write_failed(self, failed: WriteFailed) -> None:
        self.filer.failed(failed)

    def status(self, message: str, strong: bool = False) -> None:
        # (One line, not wrapped: a message longer than its room ends in "…"; wrapped, its end
        # was out of sight and "Saved X: no department yet, ..." read "Saved X: no".)
        self.query_one("#status", Static).update(Text(message, style="bold" if strong else ""))
