"""The engines the screens call from their thread workers, made once per app, on first use."""

from __future__ import annotations

import threading
from typing import Any

from models.store import Store


class SharedRouter:
    """One `models.routing.Router` for the app; its connections serve one thread at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._router: Any = None
        self._lock = threading.Lock()  # the router's connections: one thread at a time
        self._learning = threading.Lock()  # one catch-up at a time

    def _get(self) -> Any:
        if self._router is None:
            from models.routing import Router

            self._router = Router.for_store(self.store)
        return self._router

    def refresh(self) -> None:
        """Learn cases saved or synced since last time (cheap when there are none). Suggestions
        are not held up meanwhile: learning writes through connections of its own (a catch-up
        after a day's synced cases takes a second or more), and the router takes the new
        statistics when it is done."""
        with self._learning:
            with self._lock:
                router = self._get()
                if not router.needs_learning():
                    return
            router.learn()
            with self._lock:
                if self._router is router:  # (not closed meanwhile, as when the app quits)
                    router.reload()

    def suggest(self, text: str, **kwargs: Any) -> Any:
        with self._lock:
            return self._get().suggest(text, **kwargs)

    def reload(self) -> None:
        """Read the catalogue again, if the router is made (else it reads it when made)."""
        with self._lock:
            if self._router is not None:
                self._router.reload()

    def close(self) -> None:
        with self._lock:
            if self._router is not None:
                self._router.close()
                self._router = None


class SharedSearch:
    """Similar-case search; each worker thread gets its own sqlite connection inside."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._engine: Any = None
        self._lock = threading.Lock()

    def search(self, query: Any, limit: int = 10) -> list[Any]:
        with self._lock:  # one search at a time: a newer keystroke's search waits its turn
            if self._engine is None:
                from models.search.engine import SimilarCaseSearch

                self._engine = SimilarCaseSearch(self.store)
            try:
                return self._engine.search(query, limit=limit)
            finally:
                self._engine.close()  # the connection belongs to this worker's thread


class SharedKnowledge:
    """Knowledge search (`models.kb.KnowledgeSearch`), made on first use; each worker thread
    gets its own sqlite connection inside, closed after its search."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._engine: Any = None
        self._lock = threading.Lock()

    def search(self, text: str, **kwargs: Any) -> list[Any]:
        with self._lock:
            if self._engine is None:
                from models.kb import KnowledgeSearch

                self._engine = KnowledgeSearch(self.store)
            try:
                return self._engine.search(text, **kwargs)
            finally:
                self._engine.close()  # the connection belongs to this worker's thread
