"""Routing suggestions with the nearest past cases: the similar-case search finds them, the
router counts who handled them. The two engines sit side by side (neither imports the other),
so they meet here, one floor up; the intake screen and `hotline route` both call `suggest`."""

from __future__ import annotations

from typing import Any

NEIGHBOURS = 10  # past cases whose departments and categories vote


def suggest(router: Any, search: Any, text: str, *, exclude: frozenset[str] = frozenset(),
            **kwargs: Any) -> Any:
    """`router.suggest(text, **kwargs)` with the `NEIGHBOURS` past cases most like the text
    (a text-only search: the caller's own cases and the address do not pick neighbours;
    `exclude`: cases that are no neighbours, such as the case being dispatched)."""
    from models.routing.engine import Neighbour
    from models.search.engine import Query

    hits = search.search(Query(text=text, exclude=exclude), limit=NEIGHBOURS) \
        if text.strip() else []
    return router.suggest(text, neighbours=Neighbour.from_hits(hits), **kwargs)


def suggest_for_case(router: Any, search: Any, store: Any, ref: str, lang: str) -> Any:
    """Suggestions for dispatching a filed case that has no lead department yet (saved without
    one: it waits for a lead), or None. A case with a lead is left alone: it was learned with
    it, and its own description would vote for the department being replaced."""
    from models.cases.steps import find_case

    with store.session() as session:
        case = find_case(session, ref)
        if case is None or case.lead_department or not case.description.strip():
            return None
        text, address, kind, district = (case.description, case.address, case.location_kind,
                                         case.district)
        ids = frozenset(x for x in (case.id, case.case_no, case.external_id) if x)
    return suggest(router, search, text, exclude=ids, address=address, location_kind=kind,
                   district=district, lang=lang)
