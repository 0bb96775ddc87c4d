"""Every change to the call on the form is kept as a draft, within a fraction of a second.

The keeper knows which draft the form is (`draft_id`, None until something is typed) and what
was last handed to the app's `DraftWriter`, which writes on its own thread: typing never waits
for the disk. A call handed to a save or an attach leaves the form (`hand_off`), its draft open
until the write lands, so a failed save still has the call in Drafts (F3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.timer import Timer

from ..reads import guarded

if TYPE_CHECKING:
    from models.domain.case_shape import CaseDraft


DRAFT_DELAY = 0.15  # seconds of quiet before the draft is written: short, so little is at risk


class DraftLoaded(Message):
    """A draft chosen in Drafts (F3), read off the UI thread."""

    def __init__(self, draft_id: str, draft: CaseDraft) -> None:
        super().__init__()
        self.draft_id = draft_id
        self.draft = draft


class DraftKeeper:
    def __init__(self, screen: Any) -> None:
        self.screen = screen  # has collect() and the app with `drafts` and `agent`
        self.draft_id: str | None = None
        self.written: CaseDraft | None = None  # the form as last handed to the writer
        self._timer: Timer | None = None

    def later(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.screen.set_timer(DRAFT_DELAY, self.keep)

    def keep(self) -> None:
        """Hand the form to the writer now (also before anything that leaves the form)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        draft = self.screen.collect()
        if draft == self.written:
            return  # nothing typed since (a form being filled from a draft fires changes too)
        if self.draft_id is None:
            if draft.is_blank():
                return
            from models.domain.ids import new_id

            self.draft_id = new_id()
        self.screen.app.drafts.put(self.draft_id, self.screen.app.agent, draft)
        self.written = draft

    def shown(self, draft_id: str | None, draft: CaseDraft) -> None:
        """The form now shows `draft` (a resumed call, or a fresh one with no id)."""
        self.draft_id = draft_id
        self.written = draft

    def hand_off(self) -> str | None:
        """The call leaves the form for a write: kept, and the form is a new call's."""
        self.keep()
        draft_id = self.draft_id
        self.draft_id = None
        return draft_id

    def close(self, draft_id: str | None) -> None:
        """Its call was saved (or attached): the draft leaves Drafts."""
        from models.store.draft_writer import SAVED

        if draft_id is not None:
            self.screen.app.drafts.close(draft_id, SAVED)

    def load(self, draft_id: str) -> None:
        """Read a draft on a thread; `DraftLoaded` comes back to the screen."""
        store, screen = self.screen.app.store, self.screen

        def read() -> None:
            from models.store.drafts import Draft

            with store.session() as s:
                row = s.get(Draft, draft_id)
            if row is not None:
                screen.post_message(DraftLoaded(row.id, row.case_draft))

        screen.run_worker(lambda: guarded(screen.app, read), thread=True, group="draft-load")
