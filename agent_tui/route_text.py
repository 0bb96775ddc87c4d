"""Routing reasons and suggestions in the agent's language (shared by `hotline route` and the picker)."""

from __future__ import annotations

from typing import Any


def suggestions_record(suggestions: Any, lang: str) -> dict[str, Any]:
    """The JSON shape of the CLI contract: categories, departments (with `why`), plus dispositions."""
    return {
        "categories": [{"category": c.name, "score": c.score, "code": c.category,
                        "why": [r.text(lang) for r in c.reasons]}
                       for c in suggestions.categories],
        "departments": [{"department": d.name, "score": d.score, "code": d.code, "role": d.role,
                         "warning": d.warning, "return_rate": d.return_rate,
                         "why": [r.text(lang) for r in d.reasons]}
                        for d in suggestions.departments],
        "dispositions": [{"disposition": x.disposition, "score": x.score,
                          "why": [r.text(lang) for r in x.reasons]}
                         for x in suggestions.dispositions],
        "disposition": suggestions.disposition,
        "location_kind": suggestions.location_kind,
    }
