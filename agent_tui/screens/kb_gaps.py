"""The lead's knowledge gaps (`g` on the lead review): the questions asked most in a period
(answered from an article, `models.kb.gaps.asked_most`) and the calls no article matched,
clustered by category and topic (`models.kb.gaps.missing`), so the knowledge base grows where
calls show it is missing.

`p` cycles the period (7 days, 30 days, today); `e` writes the view to a CSV in the data dir's
`exports` folder, private (0600: it holds callers' words), and says where. Both read and write
on threads; Escape goes back to the lead review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from ..actions import bindings
from ..display import literal
from ..reads import guarded
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen

PERIODS = (7, 30, 1)  # days; `p` goes round
LIMIT = 20


class GapsRead(Message):
    def __init__(self, days: int, asked: list[Any], missing: list[Any],
                 categories: dict[str, str]) -> None:
        super().__init__()
        self.days = days
        self.asked = asked
        self.missing = missing
        self.categories = categories


class GapsExported(Message):
    def __init__(self, path: Path | None, rows: int, error: str = "") -> None:
        super().__init__()
        self.path = path
        self.rows = rows
        self.error = error


class KbGapsScreen(HotlineScreen[None]):
    DEFAULT_CSS = """
    KbGapsScreen .gaps-head { height: 1; padding: 0 1; text-style: bold; }
    KbGapsScreen #gaps-asked { height: 1fr; }
    KbGapsScreen #gaps-missing { height: 2fr; }
    KbGapsScreen #gaps-status { height: auto; padding: 0 1; color: $text-muted; }
    """
    SCOPE = "kb_gaps"
    BINDINGS = bindings(SCOPE)
    COUNT, NAME = 6, 22

    def __init__(self) -> None:
        super().__init__()
        self.period = 0
        self.shown: GapsRead | None = None

    @property
    def days(self) -> int:
        return PERIODS[self.period]

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield TitleBar()
        yield Static(id="gaps-title", classes="gaps-head")
        yield Static(Text(t("kb.gaps.asked")), classes="gaps-head")
        yield DataTable(id="gaps-asked", cursor_type="row", show_header=False)
        yield Static(Text(t("kb.gaps.missing")), classes="gaps-head")
        yield DataTable(id="gaps-missing", cursor_type="row", show_header=False)
        yield Static(id="gaps-status")
        yield KeyBar()

    def on_mount(self) -> None:
        rest = max(20, self.app.size.width - self.COUNT - self.NAME - 2 * 4 - 2)
        for table_id in ("#gaps-asked", "#gaps-missing"):
            table = self.query_one(table_id, DataTable)
            table.add_column("count", width=self.COUNT, key="count")
            table.add_column("name", width=self.NAME, key="name")
            table.add_column("examples", width=rest, key="examples")
        self.query_one("#gaps-missing").focus()
        self._read()

    # --- reading ------------------------------------------------------------------------------
    def _read(self) -> None:
        t = self.app.t
        self.shown = None
        self.query_one("#gaps-title", Static).update(
            Text(t("kb.gaps.title", period=t(f"kb.gaps.period.{self.days}"))))
        self.query_one("#gaps-status", Static).update(Text(t("kb.gaps.loading")))
        app, days = self.app, self.days

        def read() -> None:
            from models.kb import gaps
            from models.reference.views import category_choices

            at = app.clock()
            categories = {code: label.strip() for label, code in
                          category_choices(app.store, app.lang)}
            self.post_message(GapsRead(days, gaps.asked_most(app.store, days, at=at, limit=LIMIT),
                                       gaps.missing(app.store, days, at=at, limit=LIMIT),
                                       categories))

        self.run_worker(lambda: guarded(app, read), thread=True, exclusive=True, group="kb-gaps")

    def on_gaps_read(self, read: GapsRead) -> None:
        if read.days != self.days:
            return  # the period changed meanwhile
        self.shown = read
        none = Text(self.app.t("kb.gaps.none"), style="dim")
        asked = self.query_one("#gaps-asked", DataTable)
        asked.clear()
        for a in read.asked:
            asked.add_row(Text(str(a.answers), justify="right"), literal(a.title or a.article_id),
                          _examples(a.questions), key=a.article_id)
        if not read.asked:
            asked.add_row(Text(""), none, Text(""))
        missing = self.query_one("#gaps-missing", DataTable)
        missing.clear()
        for i, g in enumerate(read.missing):
            name = read.categories.get(g.category, g.category)
            label = literal(" · ".join(x for x in (name, g.topic) if x) or "-")
            missing.add_row(Text(str(g.calls), justify="right"), label, _examples(g.questions),
                            key=str(i))
        if not read.missing:
            missing.add_row(Text(""), none, Text(""))
        self.query_one("#gaps-status", Static).update(Text(""))

    def action_period(self) -> None:
        self.period = (self.period + 1) % len(PERIODS)
        self._read()

    # --- export -------------------------------------------------------------------------------
    def action_export(self) -> None:
        read = self.shown
        if read is None:
            return
        data_dir = Path(self.app.store.data_dir)
        stamp = self.app.clock().astimezone().strftime("%Y%m%d-%H%M%S")

        def export() -> None:
            self.post_message(_export(data_dir, stamp, read))

        self.run_worker(export, thread=True, group="kb-gaps-export", exit_on_error=False)

    def on_gaps_exported(self, done: GapsExported) -> None:
        t = self.app.t
        text = (t("kb.gaps.exported", rows=done.rows, path=str(done.path)) if done.path
                else t("kb.gaps.export_failed", error=done.error))
        self.query_one("#gaps-status", Static).update(Text(text, style="bold"))

    def action_back(self) -> None:
        self.app.pop_screen()


def _examples(questions: list[str]) -> Text:
    return literal(" | ".join(" ".join(q.split()) for q in questions))


def export_path(data_dir: Path, days: int, stamp: str) -> Path:
    return data_dir / "exports" / f"kb-gaps-{days}d-{stamp}.csv"


def _export(data_dir: Path, stamp: str, read: GapsRead) -> GapsExported:
    """On a thread: the view as CSV, created 0600 in a 0700 folder before a byte is written."""
    from models.kb import gaps
    from models.store.files import private_dir, private_file

    path = export_path(data_dir, read.days, stamp)
    try:
        private_dir(path.parent)
        private_file(path)
        rows = gaps.write_csv(path, read.asked, read.missing)
    except OSError as exc:
        return GapsExported(None, 0, f"{type(exc).__name__}: {exc}")
    return GapsExported(path, rows)

