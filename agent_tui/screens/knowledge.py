"""F9: the knowledge base. `/` to search (Chinese, English, pinyin initials of titles: the same
search as the intake's suggestions, `models.kb.search`), the articles best first; Enter opens
one (`ArticleScreen`), Escape goes back.

With nothing searched, every article, those in the agent's language first. The search runs on
a thread a moment after the last keystroke; an answer to an older query is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from ..actions import bindings
from ..reads import guarded
from ..widgets.article_strip import marked
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen

SEARCH_DELAY = 0.15  # seconds of quiet before searching
LIMIT = 50


@dataclass
class ArticleRow:
    id: str
    title: str
    answer: str
    status: Any  # models.kb.ArticleStatus
    department: str
    title_spans: list[tuple[int, int]] = field(default_factory=list)
    answer_spans: list[tuple[int, int]] = field(default_factory=list)


class ArticlesListed(Message):
    def __init__(self, query: str, rows: list[ArticleRow]) -> None:
        super().__init__()
        self.query = query
        self.rows = rows


class KnowledgeScreen(HotlineScreen[None]):
    DEFAULT_CSS = """
    KnowledgeScreen #kb-query { height: 1; margin: 0 1; }
    KnowledgeScreen #kb-count { height: 1; padding: 0 1; color: $text-muted; }
    KnowledgeScreen #kb-results { height: 1fr; }
    """
    SCOPE = "knowledge"
    BINDINGS = bindings(SCOPE)
    COLUMNS = (("state", 10), ("dept", 14))

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self._timer: Timer | None = None
        self.rows: list[ArticleRow] = []

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Input(id="kb-query", placeholder=self.app.t("kb.search_placeholder"), compact=True,
                    select_on_focus=False)  # (a character typed on the list is kept: on_key)
        yield Static(id="kb-count")
        yield DataTable(id="kb-results", cursor_type="row", show_header=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#kb-results", DataTable)
        table.add_column("state", width=self.COLUMNS[0][1], key="state")
        table.add_column("title", width=self._title_width(), key="title")
        table.add_column("dept", width=self.COLUMNS[1][1], key="dept")
        table.focus()
        self._search("")

    def _title_width(self) -> int:
        fixed = sum(w for _, w in self.COLUMNS)
        return max(20, self.app.size.width - fixed - 2 * (len(self.COLUMNS) + 1) - 2)

    # --- searching ----------------------------------------------------------------------------
    def action_kb_search(self) -> None:
        self.query_one("#kb-query", Input).focus()

    def search_box(self) -> Input:
        return self.query_one("#kb-query", Input)

    @on(Input.Changed, "#kb-query")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self._search(event.value))

    @on(Input.Submitted, "#kb-query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._search(event.value)
        self.query_one("#kb-results").focus()

    def _search(self, text: str) -> None:
        self.query_text = text.strip()
        app, query = self.app, self.query_text

        def find() -> None:
            self.post_message(ArticlesListed(query, _find(app, query)))

        self.run_worker(lambda: guarded(app, find), thread=True, exclusive=True, group="kb-search")

    def on_articles_listed(self, listed: ArticlesListed) -> None:
        if listed.query != self.query_text:
            return  # typed on meanwhile
        t = self.app.t
        self.rows = listed.rows
        if listed.query:
            count = (t("kb.results", n=len(listed.rows), query=listed.query) if listed.rows
                     else t("kb.none", query=listed.query))
        else:
            count = t("kb.count", n=len(listed.rows))
        self.query_one("#kb-count", Static).update(Text(count, no_wrap=True, overflow="ellipsis"))
        table = self.query_one("#kb-results", DataTable)
        table.clear()
        lang = self.app.lang
        for row in listed.rows:
            current = row.status.value == "current"
            title = marked(row.title, row.title_spans, "bold" if current else "dim")
            title.append(" · ", style="dim")
            title.append_text(marked(row.answer, row.answer_spans, "dim"))
            title.no_wrap, title.overflow = True, "ellipsis"
            table.add_row(Text(row.status.label(lang), style="green" if current else "bold red"),
                          title, Text(row.department, no_wrap=True, overflow="ellipsis"),
                          key=row.id)

    # --- reading ------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#kb-results")
    def _open(self, event: DataTable.RowSelected) -> None:
        from .article import ArticleScreen

        self.app.push_screen(ArticleScreen(str(event.row_key.value)))

    def action_back(self) -> None:
        self.app.pop_screen()


def _find(app: Any, query: str) -> list[ArticleRow]:
    """On a thread: the search's hits, or every article when nothing is asked."""
    from models.kb.articles import list_articles, status
    from models.kb.search import close_to_best
    from models.reference.views import department_labels

    labels = department_labels(app.store, app.lang)
    at = app.clock()
    if query:
        return [ArticleRow(h.id, h.title, h.answer, h.status, labels.get(h.department, h.department),
                           list(h.title_spans), list(h.answer_spans))
                for h in close_to_best(app.knowledge.search(query, limit=LIMIT, at=at))]
    with app.store.raw() as conn:
        articles = list_articles(conn)
    articles.sort(key=lambda a: (a.lang != app.lang, a.category, a.title))
    return [ArticleRow(a.id, a.title, a.answer, status(a, at),
                       labels.get(a.department, a.department)) for a in articles]
