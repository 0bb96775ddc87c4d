"""Open311 GeoReport v2: services (our categories), service requests (our cases) in the spec's
field names, filing a request (`file_request`: a case as if typed by an agent) and the tokens of
filed requests. The HTTP side is `routers/open311.py`.

Filing (`POST requests.json`) takes an `api_key`, the API token of a user allowed to file (an
agent, lead or admin: the case's author). The request goes through the intake's own rules
(`check_draft`, against the server's catalogue): `service_code` is the category; with no
department given, the catalogue's owner of the category is suggested (when exactly one
department owns it); with none the case waits, open, in "awaiting dispatch" for a lead. It is
stored and logged for the terminals' pull like a pushed case; the answer carries its
`service_request_id` (the case number) and a `token` that `GET tokens/{token}.json` answers.

`service_notice` and `status_notes` carry the latest lifecycle step (its name, and its note
only when descriptions are published).

Public, so it publishes what a city may show anyone (`Publish`, from the server's settings):
the category, status, dates, agency and a coarse location (lat/long rounded, by default to 3
decimals, about 100 m; the district in place of the address). Descriptions and resolutions
(free text that may name people) and exact addresses only when the city turns them on
(`open311_descriptions`, `open311_addresses`). Caller names and phone numbers never. A
request's id is its case number."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models.domain.case_shape import CaseDraft
from models.domain.deadlines import add_working_days
from models.domain.enums import Disposition, EventKind, Status
from models.domain.ids import new_id
from models.domain.lifecycle import EVENT_OF
from models.domain.messages import Problem, ValidationFailed
from models.domain.timeutil import local_zone, now
from models.domain.validation import check_draft, check_record, clean_record
from models.store.tables import Case, CaseEvent, Category, Department

from .auth import User
from .db import Database, log_changes
from .received import COUNTERS, BatchCatalogue, created_event_data

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
        found = list(s.execute(q).scalars())
        steps = _latest_steps(s, [c.id for c in found])
    return [_request(c, cats, depts, publish, steps.get(c.id)) for c in found]


def find_request(db: Database, request_id: str, publish: Publish = Publish()) -> dict[str, Any] | None:
    """One service request by case number (or id); None if unknown."""
    cats, depts = _names(db)
    with db.reader() as s:
        case = s.execute(select(Case).where((col(Case.case_no) == request_id)
                                            | (col(Case.id) == request_id))).scalars().first()
        steps = _latest_steps(s, [case.id]) if case is not None else {}
    return None if case is None else _request(case, cats, depts, publish, steps.get(case.id))


# The events that record a lifecycle step (notes and repeat calls are not published).
STEP_KINDS = sorted({str(k) for k in EVENT_OF.values()} - {EventKind.NOTE}
                    | {EventKind.REDISPATCHED})


def _latest_steps(s, ids: list[str]) -> dict[str, CaseEvent]:
    """Each case's latest lifecycle step (by time, then id), if it has one."""
    if not ids:
        return {}
    newest = (select(CaseEvent.case_id, func.max(CaseEvent.at).label("at"))
              .where(col(CaseEvent.case_id).in_(ids), col(CaseEvent.kind).in_(STEP_KINDS))
              .group_by(CaseEvent.case_id).subquery())
    rows = s.execute(select(CaseEvent).join(newest, and_(
        CaseEvent.case_id == newest.c.case_id, CaseEvent.at == newest.c.at))
        .where(col(CaseEvent.kind).in_(STEP_KINDS)).order_by(col(CaseEvent.id))).scalars()
    return {e.case_id: e for e in rows}


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def _names(db: Database) -> tuple[dict[str, str], dict[str, str]]:
    with db.reader() as s:
        cats = {c.code: c.name_en or c.name_zh for c in s.execute(select(Category)).scalars()}
        depts = {d.code: d.name_en or d.name_zh for d in s.execute(select(Department)).scalars()}
    return cats, depts


def _request(case: Case, cats: dict[str, str], depts: dict[str, str],
             publish: Publish, step: CaseEvent | None = None) -> dict[str, Any]:
    try:
        is_open = Status(case.status).is_open
    except ValueError:
        is_open = True
    notice = (f"{EventKind.label_for(step.kind, 'en')} ({_iso(step.at)})" if step is not None
              else None)
    notes = notice
    if publish.descriptions:  # free text: published only when the city says so
        text = (step.note if step is not None else "") or case.resolution
        notes = f"{notice}: {text}" if notice and text else (notice or text or None)
    return {
        "service_request_id": case.case_no,
        "status": "open" if is_open else "closed",
        "status_notes": notes,
        "service_name": cats.get(case.category, case.category) or None,
        "service_code": case.category or None,
        "description": case.description if publish.descriptions else None,
        "agency_responsible": depts.get(case.lead_department, case.lead_department) or None,
        "service_notice": notice,
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


# --- filing -------------------------------------------------------------------------------
TOKEN_PREFIX = "open311:"  # a filed request's token, kept as the case's external id
FILERS = ("agent", "lead", "admin")


@dataclass
class Filing:
    """A `POST requests.json` as the spec names its fields (text as sent)."""

    service_code: str = ""
    description: str = ""
    address_string: str = ""
    lat: str = ""
    long: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    department: str = ""  # our extension: a catalogue department (code, name or alias)


def suggested_department(catalogue_rows: list[Department], categories: dict[str, str],
                         category: str) -> str:
    """The department the catalogue gives the category (or its nearest ancestor) to: the one
    owner, or among several the specialist (the owner of the fewest categories) when one stands
    out; "" otherwise (the case waits for a lead to dispatch it)."""
    code, seen = category, set()
    while code and code not in seen:
        seen.add(code)
        owners = sorted((len(d.categories or []), d.code) for d in catalogue_rows
                        if code in (d.categories or []))
        if len(owners) == 1 or (owners and owners[0][0] < owners[1][0]):
            return owners[0][1]
        if owners:
            return ""
        code = categories.get(code, "")
    return ""


def _coordinate(name: str, text: str, low: float, high: float, problems: list[Problem]) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (low <= value <= high):
        problems.append(Problem(name, "field.not_number", {"field": name}))
        return None
    return value


def file_request(db: Database, user: User, f: Filing) -> dict[str, Any]:
    """File a request as a case typed by `user`; returns the spec's answer entry. Raises
    ValidationFailed naming each field (in the spec's names where it has them)."""
    if user.role not in FILERS:
        raise PermissionError(f"role {user.role!r} may not file requests")
    problems: list[Problem] = []
    if not f.service_code.strip():
        problems.append(Problem("service_code", "field.required", {"field": "service_code"}))
    lat = _coordinate("lat", f.lat, -90.0, 90.0, problems)
    lon = _coordinate("long", f.long, -180.0, 180.0, problems)
    if not f.address_string.strip() and (lat is None or lon is None):
        problems.append(Problem("address_string", "field.required", {"field": "address_string"}))
    received = now()
    with db.writer() as s:
        catalogue = BatchCatalogue(s)
        departments = list(s.execute(select(Department)).scalars())
        parents = {c.code: c.parent for c in s.execute(select(Category)).scalars()}
        category = catalogue.category(f.service_code)
        department = f.department
        if not department and category is not None:
            department = suggested_department(departments, parents, category[0])
        draft = CaseDraft(description=f.description, address=f.address_string,
                          category=f.service_code, lead_department=department,
                          caller_phone=f.phone,
                          caller_name=" ".join(p for p in (f.first_name.strip(), f.last_name.strip()) if p),
                          disposition=Disposition.DISPATCH.value)
        try:
            checked = check_draft(draft, catalogue)
        except ValidationFailed as exc:
            problems += [_spec_name(p) for p in exc.problems]
            checked = None
        token = secrets.token_hex(12)
        own = {"id": new_id(), "case_no": _number(received), "resolution": "", "satisfaction": "",
               "lat": lat, "lon": lon}
        problems += check_record(own, now=received)
        if problems or checked is None:
            raise ValidationFailed(problems)
        dispatched = checked.values["status"] == Status.DISPATCHED
        case = {**checked.values, **clean_record(own), "id": own["id"], "case_no": own["case_no"],
                "external_id": TOKEN_PREFIX + token, "source": "open311", "created_at": received,
                "updated_at": received, "taken_at": None,
                "due_at": add_working_days(received, checked.due_days) if dispatched else None,
                "resolved_at": None, "agent": user.id, "version": 1,
                **dict.fromkeys(COUNTERS, 0), "sync_state": "synced"}
        event = {"id": new_id(), "case_id": case["id"], "kind": EventKind.CREATED.value,
                 "at": received, "agent": user.id, "note": "",
                 "data": {**created_event_data(case, {}), "via": "open311"}}
        try:
            s.execute(insert(Case.__table__), [case])
        except IntegrityError:  # the number was taken in the same second: one more try
            s.rollback()
            case["case_no"] = _number(received)
            s.execute(insert(Case.__table__), [case])
        s.execute(insert(CaseEvent.__table__), [event])
        log_changes(s, [("case", case["id"]), ("event", event["id"])])
        s.commit()
    notice = ("awaiting dispatch" if case["status"] == Status.OPEN else
              f"dispatched to {case['lead_department']}")
    return {"service_request_id": case["case_no"], "token": token, "service_notice": notice,
            "account_id": None}


_SPEC_NAMES = {"category": "service_code", "address": "address_string", "caller_phone": "phone",
               "caller_name": "first_name", "lead_department": "department"}


def _spec_name(p: Problem) -> Problem:
    return Problem(_SPEC_NAMES.get(p.field, p.field), p.code, p.params)


def _number(at: datetime) -> str:
    """A filed request's case number: 311-<local date>-<random>."""
    return f"311-{at.astimezone(local_zone()):%y%m%d}-{secrets.token_hex(3).upper()}"


def find_token(db: Database, token: str) -> dict[str, Any] | None:
    """`GET tokens/{token}.json`: the request a token stands for; None if unknown."""
    with db.reader() as s:
        number = s.execute(select(Case.case_no).where(
            Case.external_id == TOKEN_PREFIX + token)).scalars().first()
    return None if number is None else {"service_request_id": number, "token": token}
