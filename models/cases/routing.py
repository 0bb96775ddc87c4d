"""Routing suggestions with the nearest past cases: the similar-case search finds them, the
router counts who handled them. The two engines sit side by side (neither imports the other),
so they meet here, one floor up; the intake screen and `hotline route` both call `suggest`."""

from __future__ import annotations

from typing import Any

NEIGHBOURS = 10  # past cases whose departments and categories vote


def suggest(router: Any, search: Any, text: str, **kwargs: Any) -> Any:
    """`router.suggest(text, **kwargs)` with the `NEIGHBOURS` past cases most like the text
    (a text-only search: the caller's own cases and the address do not pick neighbours)."""
    from models.routing.engine import Neighbour
    from models.search.engine import Query

    hits = search.search(Query(text=text), limit=NEIGHBOURS) if text.strip() else []
    return router.suggest(text, neighbours=Neighbour.from_hits(hits), **kwargs)
