"""Open311 GeoReport v2, read-only: services (our categories) and service requests (our cases),
in the spec's field names. The HTTP side is `routers/open311.py`.

Public, so it publishes what a city may show anyone (`Publish`, from the server's settings):
the category, status, dates, agency and a coarse location (lat/long rounded, by default to 3
decimals, about 100 m; the district in place of the address). Descriptions and resolutions
(free text that may name people) and exact addresses only when the city turns them on
(`open311_descriptions`, `open311_addresses`). Caller names and phone numbers never. A
request's id is its case number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from models.domain.enums import Status
from models.domain.timeutil import now
from models.store.tables import Case, Category, Department

from .db import Database

MAX_REQUESTS = 1000


@dataclass(frozen=True)
class Publish:
    """What a published request shows beyond the category, status, dates and agency."""

    descriptions: bool = False
    addresses: bool = False
    location_decimals: int = 3


def services(db: Database) -> list[dict[str, Any]]:
    with db.reader() as s:
        rows = list(s.execute(select(Category).order_by(Category.code)).scalars())
    return [{"service_code": c.code, "service_name": c.name_en or c.name_zh,
             "description": c.name_zh, "metadata": False, "type": "realtime",
             "keywords": ",".join(c.aliases), "group": c.parent or None} for c in rows]


def find_requests(db: Database, *, service_request_id: str | None = None,
                  service_code: str | None = None, start_date: datetime | None = None,
                  end_date: datetime | None = None, status: str | None = None,
                  publish: Publish = Publish()) -> list[dict[str, Any]]:
    """The spec's query: by ids (comma-separated), else created within [start, end] (default
    the last 90 days); then by service codes and open/closed; newest first, at most 1000."""
    q = select(Case)
    if service_request_id:
        wanted = [x.strip() for x in service_request_id.split(",") if x.strip()]
        q = q.where(col(Case.case_no).in_(wanted) | col(Case.id).in_(wanted))
    else:
        end = end_date or now()
        start = start_date or end - timedelta(days=90)
        q = q.where(col(Case.created_at) >= start, col(Case.created_at) <= end)
    if service_code:
        q = q.where(col(Case.category).in_(service_code.split(",")))
    if status:
        closed = [Status.RESOLVED.value, Status.CLOSED.value]
        q = q.where(col(Case.status).in_(closed) if status == "closed"
                    else col(Case.status).not_in(closed))
    q = q.order_by(col(Case.created_at).desc()).limit(MAX_REQUESTS)
    cats, depts = _names(db)
    with db.reader() as s:
        return [_request(c, cats, depts, publish) for c in s.execute(q).scalars()]


def find_request(db: Database, request_id: str, publish: Publish = Publish()) -> dict[str, Any] | None:
    """One service request by case number (or id); None if unknown."""
    cats, depts = _names(db)
    with db.reader() as s:
        case = s.execute(select(Case).where((col(Case.case_no) == request_id)
                                            | (col(Case.id) == request_id))).scalars().first()
    return None if case is None else _request(case, cats, depts, publish)


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def _names(db: Database) -> tuple[dict[str, str], dict[str, str]]:
    with db.reader() as s:
        cats = {c.code: c.name_en or c.name_zh for c in s.execute(select(Category)).scalars()}
        depts = {d.code: d.name_en or d.name_zh for d in s.execute(select(Department)).scalars()}
    return cats, depts


def _request(case: Case, cats: dict[str, str], depts: dict[str, str],
             publish: Publish) -> dict[str, Any]:
    try:
        is_open = Status(case.status).is_open
    except ValueError:
        is_open = True
    return {
        "service_request_id": case.case_no,
        "status": "open" if is_open else "closed",
        "status_notes": (case.resolution or None) if publish.descriptions else None,
        "service_name": cats.get(case.category, case.category) or None,
        "service_code": case.category or None,
        "description": case.description if publish.descriptions else None,
        "agency_responsible": depts.get(case.lead_department, case.lead_department) or None,
        "service_notice": None,
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.due_at),
        "address": (case.address if publish.addresses else case.district) or None,
        "address_id": None,
        "zipcode": None,
        "lat": _coarse(case.lat, publish),
        "long": _coarse(case.lon, publish),
        "media_url": None,
    }


def _coarse(value: float | None, publish: Publish) -> float | None:
    if value is None:
        return None
    return value if publish.addresses else round(value, publish.location_decimals)
