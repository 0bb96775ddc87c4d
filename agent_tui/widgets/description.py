"""The intake form's description box: a TextArea that never holds more than the form accepts.

A paste (or anything typed) past `models.domain.validation.MAX_DESCRIPTION` characters is cut
to the limit before it reaches the document, and the agent is told at once how much was left
out: the box never stalls on a 100 KB paste, and never holds text the save would refuse.
"""

from __future__ import annotations

from textual.widgets import TextArea
from textual.widgets.text_area import EditResult, Location

# The form's limit (models.domain.validation.MAX_DESCRIPTION), kept here as a literal so the
# form does not import the validation module before its first frame; a test checks they agree.
MAX_DESCRIPTION = 20_000


class DescriptionArea(TextArea):
    """A TextArea capped at `limit` characters (line ends count as one)."""

    def __init__(self, *args, limit: int = MAX_DESCRIPTION, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.cut = 0  # characters left out of the last insert (0: none)
        self._told_at = -1e9  # when the agent was last told (monotonic)

    def _replace_via_keyboard(self, insert: str, start: Location, end: Location
                              ) -> EditResult | None:
        if self.read_only:
            return None
        if len(insert) > 1 or self._length >= self.limit:
            document = self.document
            replaced = len(document.get_text_range(*sorted((start, end))))
            room = max(0, self.limit - (self._length - replaced))
            if len(insert.replace("\r\n", "\n")) > room:
                insert = insert.replace("\r\n", "\n")
                self.cut = len(insert) - room
                insert = insert[:room]
                self._tell_cut()
                if not insert and start == end:
                    return None
        return super()._replace_via_keyboard(insert, start, end)

    @property
    def _length(self) -> int:
        """Characters in the box, a line end counting one (as the saved text counts them)."""
        document = self.document
        return sum(len(line) for line in document.lines) + document.line_count - 1

    def _tell_cut(self) -> None:
        import time

        from ..i18n import t

        now = time.monotonic()
        if self.cut == 1 and now - self._told_at < 5:  # a key held at the limit: said already
            return
        self._told_at = now

        self.app.notify(t("intake.paste_cut", self.app.lang, limit=f"{self.limit:,}",
                          cut=f"{self.cut:,}"), severity="warning", markup=False, timeout=8)
