"""Reading cases: the case list, counts, a streamed export, and the schema's record of a case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

from models.domain.case_shape import TIME_FIELDS, CaseRecord
from models.domain.timeutil import to_iso
from models.store import Store
from models.store.tables import Case


def recent_cases(store: Store, limit: int = 200, text: str = "") -> list[Case]:
    """Newest first; `text` filters on number, caller, address, title and description."""
    with store.session() as session:
        query = select(Case).order_by(col(Case.created_at).desc()).limit(limit)
        if text.strip():
            like = f"%{text.strip()}%"
            query = query.where(col(Case.case_no).like(like) | col(Case.caller_phone).like(like)
                                | col(Case.caller_name).like(like) | col(Case.address).like(like)
                                | col(Case.title).like(like) | col(Case.description).like(like))
        return list(session.exec(query).all())


def count_cases(store: Store) -> int:
    with store.session() as session:
        return session.exec(select(func.count()).select_from(Case)).one()


def iter_all_cases(store: Store, batch: int = 2000) -> Iterator[Case]:
    """Every case, oldest first, streamed in pages (an export must not load a million rows)."""
    with store.session() as session:
        offset_key: tuple[datetime, str] | None = None
        while True:
            query = select(Case).order_by(col(Case.created_at), col(Case.id)).limit(batch)
            if offset_key is not None:
                at, cid = offset_key
                query = query.where((col(Case.created_at) > at)
                                    | ((col(Case.created_at) == at) & (col(Case.id) > cid)))
            rows = list(session.exec(query).all())
            if not rows:
                return
            yield from rows
            offset_key = (rows[-1].created_at, rows[-1].id)
            session.expunge_all()


# The case CSV schema's names for fields the shape names otherwise.
_SCHEMA_NAMES = {"lead_department": "department"}


def case_record(case: Case) -> dict[str, Any]:
    """A case as the CSV schema names it, with every other field of the shared shape and the
    terminal's `sync_state` (`hotline cases --json`); times in ISO 8601 with their offset."""
    record: dict[str, Any] = {"case_id": case.external_id or case.case_no}
    for name in CaseRecord.model_fields:
        value = getattr(case, name)
        if name in TIME_FIELDS:
            value = to_iso(value)
        elif isinstance(value, list):
            value = list(value)
        record[_SCHEMA_NAMES.get(name, name)] = value
    record["sync_state"] = case.sync_state
    return record

