"""Saving a call, or attaching it to a case already filed: the steps (`CallFiler`), what runs
on the threads (through `agent_tui.writes`) and the typed messages that come back.

Ctrl+S first checks the draft (`DraftChecked`, or the problems); a dispatch is read back to the
caller; then the call is handed to `file_call` and the form is free for the next call while
the store's write lock is awaited. `CaseFiled` / `CallAttached` say it landed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

from ..writes import WriteFailed, write_off_thread

if TYPE_CHECKING:
    from models.domain.case_shape import CaseDraft


class CaseSaved(Message):
    """Posted to the app when a case is saved or a call attached (the sync worker wakes)."""

    def __init__(self, case_id: str, case_no: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.case_no = case_no


class DraftChecked(Message):
    """The draft passes the rules of intake; `dispatch`: the address is read back first."""

    def __init__(self, draft: CaseDraft, dispatch: bool, address: str) -> None:
        super().__init__()
        self.draft = draft
        self.dispatch = dispatch
        self.address = address


class CaseFiled(Message):
    """The call is a case; its draft (`draft_id`) can leave Drafts."""

    def __init__(self, case_id: str, case_no: str, draft_id: str | None,
                 awaiting_dispatch: bool = False) -> None:
        super().__init__()
        self.case_id = case_id
        self.case_no = case_no
        self.draft_id = draft_id
        self.awaiting_dispatch = awaiting_dispatch  # no department yet: a lead dispatches it


class CallAttached(Message):
    """The call is a repeat-call event on a case already filed (no new work order)."""

    def __init__(self, case_id: str, case_no: str, draft_id: str | None,
                 repeat_count: int) -> None:
        super().__init__()
        self.case_id = case_id
        self.case_no = case_no
        self.draft_id = draft_id
        self.repeat_count = repeat_count


def check_call(store: Any, draft: CaseDraft) -> DraftChecked:
    """Raises ValidationFailed with every problem."""
    from models.cases import check_draft
    from models.domain.enums import Status

    with store.session() as s:
        checked = check_draft(s, draft)
    # The address is read back when a department is sent there; a case with no department
    # yet waits for dispatch, and is read back when it is dispatched.
    return DraftChecked(draft, checked.values["status"] == Status.DISPATCHED,
                        checked.values["address"])


def file_call(store: Any, draft: CaseDraft, agent: str, draft_id: str | None,
              answered_from: Any = None, lang: str = "en") -> CaseFiled:
    """`answered_from`: the article the call was answered from (`models.kb.AnsweredFrom`)."""
    from models.cases import file_case

    # checked again: the catalogue may have changed
    case = file_case(store, draft, agent, answered_from=answered_from, lang=lang)
    return CaseFiled(case.id, case.case_no, draft_id, awaiting_dispatch=case.status == "open")


def attach_call(store: Any, case_id: str, draft: CaseDraft, agent: str,
                draft_id: str | None) -> CallAttached:
    from models.cases import attach_repeat_call
    from models.store.tables import Case

    attach_repeat_call(store, case_id, agent, draft=draft)
    with store.session() as s:
        case = s.get(Case, case_id)
    return CallAttached(case.id, case.case_no, draft_id, case.repeat_count)


class CallFiler:
    """Ctrl+S and F5 for `screen` (the intake screen): check, read back, hand the call to its
    write, and take the answer (the screen routes the messages here)."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self._refocus: str | None = None
        self._answered: Any = None  # the article of the call last handed to its write

    def save(self) -> None:
        screen = self.screen
        screen.keeper.keep()
        draft, store = screen.collect(), screen.app.store
        write_off_thread(screen, "check", lambda: check_call(store, draft))

    def checked(self, checked: DraftChecked) -> None:
        screen = self.screen
        if checked.draft != screen.collect():  # typed on meanwhile: check what is there now
            self.save()
            return
        screen.form.clear_problems()
        if not checked.dispatch:
            self._hand_off("save", checked.draft)
            return
        from ..screens.read_back import ReadBackScreen

        def read_back(ok: bool | None) -> None:
            if ok:
                self._hand_off("save", checked.draft)
            else:  # Textual refocuses the last field as the modal closes: go after that
                self._refocus = "#address"

        screen.app.push_screen(ReadBackScreen(checked.address), read_back)

    def resumed(self) -> None:
        if self._refocus:
            self.screen.call_after_refresh(self.screen.query_one(self._refocus).focus)
            self._refocus = None

    def attach(self, case_id: str | None) -> None:
        """This call is about a case already filed: a repeat-call event on it, no new order."""
        if not case_id:
            self.screen.status(self.screen.app.t("intake.attach_none"))
            return
        self._hand_off("attach", self.screen.collect(), case_id)

    def _hand_off(self, what: str, draft: CaseDraft, case_id: str = "") -> None:
        """The call leaves the form for its write; the form is the next call's meanwhile."""
        screen = self.screen
        store, agent, draft_id = screen.app.store, screen.app.agent, screen.keeper.hand_off()
        # The article the agent answered from counts only if the call is still answered directly.
        answered = screen.answered if draft.disposition == "answered" else None
        lang = screen.app.lang
        self._answered = answered
        if what == "save":
            write = lambda: file_call(store, draft, agent, draft_id, answered, lang)  # noqa: E731
        else:
            write = lambda: attach_call(store, case_id, draft, agent, draft_id)  # noqa: E731
        screen.reset_form()
        screen.status(screen.app.t("intake.saving" if what == "save" else "intake.attaching"))
        write_off_thread(screen, what, write, context=(draft_id, draft))

    def landed(self, done: CaseFiled | CallAttached) -> None:
        screen, t = self.screen, self.screen.app.t
        screen.keeper.close(done.draft_id)
        screen.status(t("intake.attached", case_no=done.case_no, n=done.repeat_count)
                      if isinstance(done, CallAttached) else
                      t("intake.saved_open" if done.awaiting_dispatch else "intake.saved",
                        case_no=done.case_no), strong=True)
        screen.app.post_message(CaseSaved(done.case_id, done.case_no))

    def failed(self, failed: WriteFailed) -> None:
        """A refused or failed write: the call comes back to an empty form with what to fix;
        otherwise it waits in Drafts, and the status line says so."""
        screen = self.screen
        shown = failed.what == "check" or screen.collect().is_blank()
        if failed.what != "check" and shown:
            screen.resume(*failed.context)
            screen.answered = self._answered  # the call comes back still answered from it
        if failed.problems is not None and shown:
            screen.form.show_problems(failed.problems)
            return
        error = failed.error or " ".join(failed.problems.messages(screen.app.lang))
        if failed.store_problem and shown:  # the disk or the file: drafts cannot be written either
            screen.status(screen.app.t("intake.store_failed", problem=error), strong=True)
            return
        screen.status(screen.app.t("intake.not_saved", error=error), strong=True)
