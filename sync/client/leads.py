"""A shift lead's review read from the server (`/v1/leads/...`), so that online it covers every
terminal's cases, not only those this terminal holds. Offline the TUI reads the same views from
the local store (`models.cases.lead_review`)."""

from __future__ import annotations

from typing import Any

from models.cases.lead_review import TERMINAL_ONLY
from models.store.tables import Case
from sync.protocol import CaseWire


def served(key: str) -> bool:
    """Whether the server computes this queue (the outbox's queues are the terminal's own)."""
    return key not in TERMINAL_ONLY


def queue_counts(api: Any) -> dict[str, int]:
    """Every server queue's count."""
    return {q["key"]: int(q["count"]) for q in api.get("/v1/leads/queues")}


def queue_cases(api: Any, key: str, limit: int = 200) -> list[Case]:
    """One queue's cases as the server orders them, as the table's rows (checked as the wire
    model on the way in), for the same screen code that shows the local ones."""
    found = api.get(f"/v1/leads/queues/{key}", limit=limit)
    return [Case.model_validate(CaseWire.model_validate(r).model_dump()) for r in found]


def terminals(api: Any) -> list[dict[str, Any]]:
    """Every terminal's sync health as the server last saw it (`/v1/terminals`)."""
    found = api.get("/v1/terminals")
    return [dict(r) for r in found] if isinstance(found, list) else []
