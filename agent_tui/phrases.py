"""Quick phrases in any text field: `;gr` then Tab puts the greeting in place of the code.

The app binds Tab (with priority) to `expand_phrase`, and enables that binding only while the
text just before the cursor of the focused Input or TextArea is a `;code` the phrasebook
(`models.kb.phrases`) has; otherwise the binding is off and Tab moves on as it always does.
The phrase is filled with what the screen knows (the agent's id; on the intake form the address
and the lead department), the rest left showing as `{name}` for the agent to say.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from textual.widgets import Input, TextArea

CODE_BEFORE_CURSOR = re.compile(r";[A-Za-z0-9]{1,6}$")


class PhraseExpander:
    """The app's phrasebook (the built-in set until the store's is read) and the expansion."""

    def __init__(self) -> None:
        self._book: Any = None

    @property
    def book(self) -> Any:
        if self._book is None:
            from models.kb.phrases import Phrasebook

            self._book = Phrasebook.defaults()
        return self._book

    def loaded(self, book: Any) -> None:
        """The store's phrases (read on a thread after the first frame)."""
        self._book = book

    def code_at_cursor(self, widget: Any, lang: str) -> str | None:
        """The `;code` just before the cursor of a text field, when a phrase has it."""
        before = _before_cursor(widget)
        match = CODE_BEFORE_CURSOR.search(before) if before else None
        if match is None:
            return None
        code = match.group().lower()
        return code if self.book.get(code, lang) is not None else None

    def expand(self, widget: Any, lang: str, params: Callable[[], dict[str, object]]) -> bool:
        """The code before the cursor becomes its phrase, filled with `params()` (read once the
        code is out of the field: `;ad` typed in the address is not the address)."""
        code = self.code_at_cursor(widget, lang)
        if code is None:
            return False
        if isinstance(widget, Input):
            end = widget.cursor_position
            widget.delete(end - len(code), end)
            text = " ".join((self.book.expand(code, lang, **params()) or "").split())
            widget.insert_text_at_cursor(text)
        else:
            row, col = widget.cursor_location
            widget.delete((row, col - len(code)), (row, col))
            widget.insert(self.book.expand(code, lang, **params()) or "")
        return True


def _before_cursor(widget: Any) -> str:
    if isinstance(widget, Input):
        return widget.value[:widget.cursor_position]
    if isinstance(widget, TextArea) and not widget.read_only:
        row, col = widget.cursor_location
        return widget.document.get_line(row)[:col]
    return ""


def params_for(screen: Any, app: Any) -> dict[str, object]:
    """What a phrase can be filled with on this screen."""
    params: dict[str, object] = {"agent": app.agent}
    form = screen.query("IntakeForm").first() if screen.query("IntakeForm") else None
    if form is not None:
        draft = form.collect()
        params["address"] = draft.address
        if draft.lead_department:
            params["department"] = form.dept_labels.get(draft.lead_department,
                                                        draft.lead_department)
    return params
