"""Keeping the search index in step with changes to cases made outside the case operations
(a sync pull writes server state straight into the table).

    before = before_change(session, case_ids)   # the indexed fields as they are
    ... upsert cases, insert events ...
    after_change(session, before)               # changed cases re-indexed, new ones indexed

Both run inside the caller's transaction, so the index and the cases commit together. On a
database without the index (the central server's) they do nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from models.search.index import Doc, reindex_session, snapshot_session


def before_change(session: Session, case_ids: Iterable[str]) -> dict[int, Doc]:
    return snapshot_session(session, set(case_ids))


def after_change(session: Session, before: dict[int, Doc]) -> int:
    """Returns how many existing cases were re-indexed."""
    return reindex_session(session, before)
