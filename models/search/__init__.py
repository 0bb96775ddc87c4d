"""Similar-case search: the engine the intake screen and `hotline search` share.

    from models.search import Query, SimilarCaseSearch
    hits = SimilarCaseSearch(store).search(Query(text="路灯不亮", address="龙蟠中路28号"), limit=10)

Independent of any front end: no Textual, no FastAPI, no httpx.
"""

from __future__ import annotations

from .engine import Hit, Query, SimilarCaseSearch
from .index import catch_up, index_new_cases, rebuild
from .snippet import Snippet

__all__ = ["Hit", "Query", "SimilarCaseSearch", "Snippet", "catch_up",
           "index_new_cases", "rebuild"]
