"""What the store knows about the call being typed: the caller's history, similar prior cases
and the routing suggestions, each found by its own thread worker.

A change to a field the lookups read restarts a short quiet timer; then the three workers run
side by side and each posts a typed message (`CallerHistoryFound`, `PriorCasesFound`,
`SuggestionsReady`, `ArticlesFound`) to the screen, so the panel and the hints update as each answer arrives.
The workers touch no widget. Every message carries the lookup's generation: an answer to an
older state of the form (a slow search overtaken by typing) is dropped by `is_current`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.timer import Timer

from ..reads import guarded

if TYPE_CHECKING:
    from models.domain.case_shape import CaseDraft


LOOKUP_DELAY = 0.25  # seconds of quiet before the lookups run
PRIOR_LIMIT = 8  # rows in the prior-cases panel
ARTICLE_LIMIT = 3  # knowledge articles offered while typing
ARTICLE_SHARE, ARTICLE_FLOOR = 0.4, 10.0  # offered: 40 % of the best's score, and 10 points


class LookupAnswer(Message):
    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class CallerHistoryFound(LookupAnswer):
    """The number's earlier calls (`models.cases.callers.CallerHistory`)."""

    def __init__(self, generation: int, history: Any) -> None:
        super().__init__(generation)
        self.history = history


class PriorCasesFound(LookupAnswer):
    """Similar prior cases (`models.search` hits), best first; None: nothing to search with."""

    def __init__(self, generation: int, hits: list[Any] | None) -> None:
        super().__init__(generation)
        self.hits = hits


class SuggestionsReady(LookupAnswer):
    """Routing suggestions (`models.routing.Suggestions`), or None without a description."""

    def __init__(self, generation: int, suggestions: Any) -> None:
        super().__init__(generation)
        self.suggestions = suggestions


class ArticlesFound(LookupAnswer):
    """Knowledge articles that may answer the description (`models.kb.KbHit`), best first."""

    def __init__(self, generation: int, hits: list[Any]) -> None:
        super().__init__(generation)
        self.hits = hits


class LookupController:
    """Runs the lookups for `screen` (a Textual node whose app has the store and engines)."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.generation = 0
        self.dept_labels: dict[str, str] = {}  # for the panel; the form's once loaded
        self._timer: Timer | None = None

    def later(self) -> None:
        """Look up once the agent pauses."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.screen.set_timer(LOOKUP_DELAY, self.now)

    def now(self, draft: CaseDraft | None = None) -> None:
        """Look up what the form holds (or `draft`) now."""
        draft = draft if draft is not None else self.screen.collect()
        self.generation += 1
        for kind, find in (("history", self._history), ("prior", self._prior),
                           ("routing", self._routing), ("articles", self._articles)):
            self.screen.run_worker(
                lambda find=find, g=self.generation: guarded(self.screen.app, find, g, draft),
                thread=True, exclusive=True, group=f"lookup-{kind}")

    def is_current(self, answer: LookupAnswer) -> bool:
        return answer.generation == self.generation

    def forget(self) -> None:
        """A new call: answers still on their way belong to the last one."""
        self.generation += 1
        if self._timer is not None:
            self._timer.stop()

    # --- on the workers' threads ----------------------------------------------------------------
    def _history(self, generation: int, draft: CaseDraft) -> None:
        from models.cases.callers import caller_history

        history = caller_history(self.screen.app.store, draft.caller_phone)
        self._labels()
        self.screen.post_message(CallerHistoryFound(generation, history))

    def _prior(self, generation: int, draft: CaseDraft) -> None:
        """Similar prior cases: typing never waits for a search."""
        from models.search.engine import Query

        app = self.screen.app
        query = Query(text=draft.description, address=draft.address, phone=draft.caller_phone,
                      category=draft.category, at=app.clock())
        # Only cases like the call (`Hit.alike`): recent open cases sharing one common word
        # are not shown as similar. Asked for twice the rows, since those may rank among them.
        hits = None if query.empty else [
            h for h in app.similar.search(query, limit=2 * PRIOR_LIMIT) if h.alike][:PRIOR_LIMIT]
        self._labels()
        self.screen.post_message(PriorCasesFound(generation, hits))

    def _routing(self, generation: int, draft: CaseDraft) -> None:
        from models.cases.routing import suggest

        app = self.screen.app
        suggestions = None
        if draft.description.strip():
            suggestions = suggest(
                app.router, app.similar, draft.description, address=draft.address,
                location_kind=draft.location_kind,
                district=draft.district, lang=app.lang)
        self.screen.post_message(SuggestionsReady(generation, suggestions))

    def _articles(self, generation: int, draft: CaseDraft) -> None:
        """The articles that answer what the caller asks (in force or not: the strip says)."""
        app = self.screen.app
        text = draft.description.strip()
        hits = app.knowledge.search(text, limit=ARTICLE_LIMIT, at=app.clock()) if text else []
        if hits:
            from models.kb.search import close_to_best

            hits = close_to_best(hits, ARTICLE_SHARE, ARTICLE_FLOOR)
        self.screen.post_message(ArticlesFound(generation, hits))

    def _labels(self) -> None:
        """Department names for the panel: a lookup may come before the catalogue has loaded."""
        if not self.dept_labels:
            from models.reference.views import department_labels

            app = self.screen.app
            self.dept_labels = department_labels(app.store, app.lang)
