"""The knowledge articles that may answer what the caller asks, under the similar cases.

One line an article, best first: its title and short answer with the words that matched in
bold, and, for an article that is not in force, its state (expired, not yet valid) in place of
nothing: such an article is never shown as current. Hidden while there is nothing to show, so
the form keeps its height. A click selects a row (a second click opens it); Ctrl+G opens the
selected article, Ctrl+T answers from it (the intake screen's actions).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.widgets import Static

from models.domain.text import clean_text

ROWS = 2  # lines at most (the similar cases keep the rest of the panel)


class ArticleStrip(Static):
    DEFAULT_CSS = """
    ArticleStrip { height: auto; max-height: 2; padding: 0 1; display: none;
                   text-wrap: nowrap; text-overflow: ellipsis; }
    ArticleStrip.-shown { display: block; }
    """

    class Open(Message):
        def __init__(self, hit: Any) -> None:
            super().__init__()
            self.hit = hit

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hits: list[Any] = []
        self.index = 0

    @property
    def selected(self) -> Any | None:
        return self.hits[self.index] if self.hits else None

    def show(self, hits: list[Any]) -> None:
        keep = self.selected.id if self.selected is not None else None
        self.hits = list(hits[:ROWS])
        ids = [h.id for h in self.hits]
        self.index = ids.index(keep) if keep in ids else 0
        self.set_class(bool(self.hits), "-shown")
        self._draw()

    def clear(self) -> None:
        self.show([])

    def _draw(self) -> None:
        lines = [self._line(i, hit) for i, hit in enumerate(self.hits)]
        text = Text("\n").join(lines) if lines else Text("")
        text.no_wrap, text.overflow = True, "ellipsis"  # one line an article, cut at the edge
        self.update(text)

    def _line(self, i: int, hit: Any) -> Text:
        t = self.app.t
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("▶ " if i == self.index else "▷ ", style="bold" if i == self.index else "dim")
        line.append(t("kb.strip.label") + " ", style="bold")
        if not hit.valid:
            line.append(f"[{hit.status.label(self.app.lang)}]", style="bold reverse red")
            line.append(" ")
        line.append_text(marked(hit.title, hit.title_spans, "bold" if hit.valid else "dim bold"))
        line.append(f" v{hit.version}", style="dim")
        line.append(" · ", style="dim")
        line.append_text(marked(hit.answer, hit.answer_spans, "dim" if not hit.valid else ""))
        return line

    def on_click(self, event: Click) -> None:
        row = event.y
        if 0 <= row < len(self.hits):
            if row == self.index:
                self.post_message(self.Open(self.hits[row]))
            else:
                self.index = row
                self._draw()


def marked(text: str, spans: list[tuple[int, int]], style: str = "") -> Text:
    """Article text literally (never markup), the matched parts reversed; one line."""
    flat = clean_text(text).replace("\n", " ")
    out = Text(flat, style=style)
    for start, end in spans or ():
        if 0 <= start < end <= len(flat):
            out.stylize("bold reverse", start, end)
    return out
