"""Answering a call from a knowledge article, on the intake screen: the article strip's keys
(Ctrl+G opens the selected article, Ctrl+T answers from it). The short answer goes into the
notes, the disposition becomes "answered directly" (no department, no work order), and the
article and its version are remembered so the save records them on the case
(`models.cases.file_case`, `answered_from=`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Input

from ..widgets.article_strip import ArticleStrip

if TYPE_CHECKING:
    from models.kb.answers import AnsweredFrom


class ArticleAnswerer:
    """The intake screen's side of the article strip; `answered` is what the save records."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.answered: AnsweredFrom | None = None

    @property
    def strip(self) -> ArticleStrip:
        return self.screen.query_one(ArticleStrip)

    def offered(self) -> bool:
        return self.strip.selected is not None

    def open_selected(self) -> None:
        hit = self.strip.selected
        if hit is not None:
            self.open(hit)

    def open(self, hit: Any) -> None:
        """The article read-only, with the others offered a key away; answering there answers
        the call."""
        from ..screens.article import ArticleScreen

        offered = {h.id: h for h in self.strip.hits}

        def answer(chosen: str | None) -> None:
            if chosen in offered:
                self.answer_from(offered[chosen])

        self.screen.app.push_screen(
            ArticleScreen(hit.id, answerable=True, offered=list(offered)), answer)

    def answer_selected(self) -> None:
        hit = self.strip.selected
        if hit is not None:
            self.answer_from(hit)

    def answer_from(self, hit: Any) -> None:
        """The article's short answer into the notes; answered directly; remembered for the save.
        An article not in force is not answered from (the agent checks it first)."""
        from models.domain.enums import Disposition
        from models.kb.answers import AnsweredFrom

        from ..widgets.department_field import DepartmentField
        from ..widgets.form_fields import ChoiceField

        screen, t = self.screen, self.screen.app.t
        if not hit.valid:
            screen.status(t("kb.not_in_force", id=hit.id, state=hit.status.label(screen.app.lang)),
                          strong=True)
            return
        notes = screen.query_one("#notes", Input)
        answer = t("kb.answer_prefix") + " ".join(hit.answer.split())
        if answer not in notes.value:
            notes.value = f"{notes.value.rstrip()} {answer}".strip()
        screen.query_one("#disposition", ChoiceField).value = Disposition.ANSWERED.value
        screen.query_one("#departments", DepartmentField).set_choice("", [])
        self.answered = AnsweredFrom(hit.id, hit.version, hit.title, hit.lang)
        screen.form.show_hint()
        screen.status(t("kb.answered_with", id=hit.id, version=hit.version), strong=True)
