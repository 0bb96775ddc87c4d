"""Editing fields of a saved case: applied locally and queued as one `case.fields.v1` intent
carrying, for each field, the value the agent saw (`old`) and the new one, so the server can
merge three-way and keep both sides of a clash as a conflict record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.domain.case_shape import EDITABLE_FIELDS
from models.domain.timeutil import now
from models.search.index import reindex_session, snapshot_session
from models.store import Store
from models.store.outbox import enqueue_fields
from models.store.tables import Case


def edit_case(store: Store, case_id: str, changes: dict[str, Any], agent: str,
              at: datetime | None = None) -> dict[str, tuple[Any, Any]]:
    """Change fields of a case in one local transaction with its outbox row; returns the diff."""
    unknown = [f for f in changes if f not in EDITABLE_FIELDS]
    if unknown:
        raise ValueError(f"not editable: {', '.join(unknown)}")
    with store.writer() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise KeyError(case_id)
        diff = {f: (getattr(case, f), v) for f, v in changes.items() if getattr(case, f) != v}
        if not diff:
            return {}
        base = case.version
        before = snapshot_session(session, [case_id])  # the search index follows the edit
        for f, (_old, new) in diff.items():
            setattr(case, f, new)
        case.version += 1
        case.updated_at = at or now()
        session.add(case)
        enqueue_fields(session, case_id, diff, base)
        session.flush()
        reindex_session(session, before)
        session.commit()
    return diff
