"""One knowledge article, read-only: its state (an article not in force says so first), the
short answer the agent reads out, the details, validity, version, owner, category and tags.

Opened from the intake's article strip (Ctrl+G), `n` / `p` step through the articles the strip
offers and Ctrl+T answers the call from the one shown (the screen closes with its id); from the
knowledge screen (F9) it is for reading. Escape goes back.
Article text comes from imports and the server: shown literally, never as markup.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..actions import bindings
from ..display import literal
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen


class ArticleScreen(HotlineScreen[str]):
    DEFAULT_CSS = """
    ArticleScreen #article-body { height: 1fr; padding: 0 1; }
    ArticleScreen #article-head { height: auto; }
    ArticleScreen #article-text { height: auto; margin-top: 1; }
    """
    SCOPE = "article"
    BINDINGS = bindings(SCOPE)

    def __init__(self, article_id: str, *, answerable: bool = False,
                 offered: list[str] | None = None) -> None:
        super().__init__()
        self.article_id = article_id
        self.answerable = answerable  # opened during a call: Ctrl+T answers from it
        self.offered = offered or [article_id]  # the strip's articles, `n` / `p` go through
        self.article = None
        self.translations: list = []
        self.state = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="article-body"):
            yield Static(id="article-head")
            yield Static(id="article-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_article()

    def show_article(self) -> None:
        from models.kb.articles import get_article, status, translations

        with self.app.store.raw() as conn:  # one row by its key, and its translations
            self.article = get_article(conn, self.article_id)
            self.translations = translations(conn, self.article) if self.article else []
        if self.article is None or self.article.withdrawn:
            self.query_one("#article-head", Static).update(
                Text(self.app.t("kb.article.gone", id=self.article_id), style="bold"))
            self.query_one("#article-text", Static).update("")
            self.refresh_bindings()
            return
        self.state = status(self.article, self.app.clock())
        self.query_one("#article-head", Static).update(self._head())
        self.query_one("#article-text", Static).update(self._text())
        self.query_one("#article-body").focus()
        self.refresh_bindings()

    def _head(self) -> Group:
        from models.kb.articles import ArticleStatus

        art, t, lang = self.article, self.app.t, self.app.lang
        title = Text(no_wrap=False)
        if self.state is not ArticleStatus.CURRENT:
            title.append(f"[{self.state.label(lang)}]", style="bold reverse red")
            title.append(" ")
        title.append_text(literal(art.title))
        title.stylize("bold")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        state = Text(self.state.label(lang),
                     style="green" if self.state is ArticleStatus.CURRENT else "bold red")
        grid.add_row(t("kb.article.valid"), Text(_validity(art, t)) + Text("  ") + state)
        grid.add_row(t("kb.article.version"),
                     Text(f"v{art.version}  ·  {t('kb.article.id')} ") + literal(art.id))
        grid.add_row(t("kb.article.owner"), self._owner())
        if art.category or art.tags:
            grid.add_row(t("kb.article.category"),
                         literal(" · ".join(x for x in (art.category, ", ".join(art.tags)) if x)))
        if self.translations:
            grid.add_row(t("kb.article.translations"),
                         literal(", ".join(f"{a.lang}: {a.id}" for a in self.translations)))
        return Group(title, grid)

    def _owner(self) -> Text:
        from models.reference.views import department_labels

        code = self.article.department
        return literal(department_labels(self.app.store, self.app.lang).get(code, code) or "-")

    def _text(self) -> Group:
        art, t = self.article, self.app.t
        answer = Text(t("kb.article.answer"), style="underline")
        body = Text(t("kb.article.body"), style="underline")
        return Group(answer, _folded(art.answer), Text(""), body, _folded(art.body))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer":
            return self.answerable and self.article is not None and not self.article.withdrawn
        if action == "step":
            return len(self.offered) > 1
        return True

    def action_answer(self) -> None:
        self.dismiss(self.article_id)

    def action_step(self, by: int) -> None:
        """The next (or previous) article the strip offers."""
        at = self.offered.index(self.article_id) if self.article_id in self.offered else 0
        self.article_id = self.offered[(at + by) % len(self.offered)]
        self.show_article()
        self.query_one("#article-body").scroll_home(animate=False)

    def action_back(self) -> None:
        self.dismiss("")


def _folded(text: str) -> Text:
    """Article text literally, long lines folded (Chinese has no spaces to wrap at)."""
    from models.domain.text import clean_text

    return Text(clean_text(text), overflow="fold")


def _validity(art, t) -> str:
    from models.kb.articles import local_date

    start, end = local_date(art.valid_from), local_date(art.valid_until)
    if start and end:
        return f"{start} – {end}"
    if start:
        return t("kb.article.from", date=start)
    if end:
        return t("kb.article.until", date=end)
    return t("kb.article.always")
