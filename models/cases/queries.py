"""Reading cases: the case list, counts, a streamed export, and the schema's record of a case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

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


def case_record(case: Case) -> dict[str, Any]:
    """A case as the CSV schema names it (plus our own columns): `hotline cases --json`."""
    return {
        "case_id": case.external_id or case.case_no,
        "case_no": case.case_no,
        "created_at": to_iso(case.created_at),
        "caller_phone": case.caller_phone,
        "caller_name": case.caller_name,
        "address": case.address,
        "district": case.district,
        "category": case.category,
        "department": case.lead_department,
        "co_departments": list(case.co_departments),
        "status": case.status,
        "title": case.title,
        "description": case.description,
        "resolved_at": to_iso(case.resolved_at),
        "resolution": case.resolution,
        "satisfaction": case.satisfaction,
        "lat": case.lat,
        "lon": case.lon,
        "location_kind": case.location_kind,
        "urgency": case.urgency,
        "disposition": case.disposition,
        "due_at": to_iso(case.due_at),
        "agent": case.agent,
        "repeat_count": case.repeat_count,
        "id": case.id,
        "sync_state": case.sync_state,
    }
