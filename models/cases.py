"""The one save path for a new case, and the timeline operations on existing ones.

The intake form, `hotline new` and `hotline new --batch` all come through `file_case`, so a
case is validated and stored the same way whoever files it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from . import outbox
from .case_draft import CaseDraft
from .catalogue import resolve_category, resolve_department
from .deadlines import add_working_days, working_days_for
from .enums import Disposition, EventKind, LocationKind, Status, Urgency
from .ids import new_id
from .messages import Problem, ValidationFailed
from .phone import PhoneError, normalise_phone
from .search.index import index_session
from .store import Store
from .tables import Caller, Case, CaseEvent
from .text import clean_text
from .timeutil import now, to_iso

MAX_DESCRIPTION = 20_000  # characters typed at intake; imports may carry longer history
MAX_NAME = 60


@dataclass
class CheckedCase:
    """A draft that passed validation, with every field resolved to its stored form."""

    values: dict[str, Any]
    notes: str
    due_days: int


def check_draft(session: Session, draft: CaseDraft) -> CheckedCase:
    """Validate a draft against the rules of intake; raises ValidationFailed with every problem."""
    problems: list[Problem] = []
    description = clean_text(draft.description)
    if not description:
        problems.append(Problem("description", "description.required"))
    elif len(description) > MAX_DESCRIPTION:
        problems.append(Problem("description", "description.too_long",
                                {"length": len(description), "limit": MAX_DESCRIPTION}))
    phone_e164, withheld = "", True
    try:
        phone = normalise_phone(draft.caller_phone)
        phone_e164, withheld = phone.e164, phone.withheld
    except PhoneError as exc:
        problems.append(Problem("caller_phone", f"phone.{exc}", {"value": draft.caller_phone.strip()}))
    name = clean_text(draft.caller_name, multiline=False)
    if len(name) > MAX_NAME:
        problems.append(Problem("caller_name", "name.too_long", {"length": len(name), "limit": MAX_NAME}))

    def choice(default, raw: str, fld: str):
        try:
            return type(default).parse(raw, default)
        except ValueError:
            problems.append(Problem(fld, f"{fld}.unknown", {"value": raw}))
            return None

    location = choice(LocationKind.OTHER, draft.location_kind, "location_kind")
    urgency = choice(Urgency.NORMAL, draft.urgency, "urgency")
    disposition = choice(Disposition.DISPATCH, draft.disposition, "disposition")

    category_code, due_days = "", 5
    if draft.category.strip():
        cat = resolve_category(session, draft.category)
        if cat is None:
            problems.append(Problem("category", "category.unknown", {"value": draft.category.strip()}))
        else:
            category_code, due_days = cat.code, cat.due_days

    lead = ""
    if draft.lead_department.strip():
        dept = resolve_department(session, draft.lead_department)
        if dept is None:
            problems.append(Problem("lead_department", "department.unknown",
                                    {"value": draft.lead_department.strip()}))
        else:
            lead = dept.code
    co: list[str] = []
    for raw in draft.co_departments:
        if not raw.strip():
            continue
        dept = resolve_department(session, raw)
        if dept is None:
            problems.append(Problem("co_departments", "department.unknown", {"value": raw.strip()}))
        elif dept.code == lead:
            problems.append(Problem("co_departments", "department.duplicate", {"value": raw.strip()}))
        elif dept.code not in co:
            co.append(dept.code)

    address = clean_text(draft.address, multiline=False)
    if disposition is Disposition.DISPATCH:
        if not address:
            problems.append(Problem("address", "address.required"))
        if not lead and not any(p.field == "lead_department" for p in problems):
            problems.append(Problem("lead_department", "department.required"))
    if problems:
        raise ValidationFailed(problems)
    title = clean_text(draft.title, multiline=False) or _title_from(description)
    return CheckedCase(
        values=dict(
            caller_phone=phone_e164, caller_withheld=withheld, caller_name=name,
            title=title, description=description, address=address,
            district=clean_text(draft.district, multiline=False),
            location_kind=str(location), category=category_code, urgency=str(urgency),
            disposition=str(disposition), lead_department=lead, co_departments=co,
            status=str(Status.DISPATCHED if disposition is Disposition.DISPATCH else Status.CLOSED),
        ),
        notes=clean_text(draft.notes),
        due_days=working_days_for(due_days, str(urgency)),
    )


def _title_from(description: str, limit: int = 30) -> str:
    first = description.splitlines()[0] if description else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def file_case(store: Store, draft: CaseDraft, agent: str, at: datetime | None = None) -> Case:
    """Validate and save a new case with its first events, in one local transaction."""
    with store.writer() as session:
        case = file_case_in(session, store, draft, agent, at or now())
        session.commit()
        return case


def file_case_in(session: Session, store: Store, draft: CaseDraft, agent: str, at: datetime) -> Case:
    """`file_case` inside the caller's transaction (batch filing, demo seeding)."""
    checked = check_draft(session, draft)
    case = Case(
        id=new_id(), case_no=store.next_case_no(session, at), source="local",
        created_at=at, updated_at=at, agent=agent, **checked.values,
    )
    if case.disposition == Disposition.DISPATCH:
        case.due_at = add_working_days(at, checked.due_days)
    session.add(case)
    session.flush()
    events = [CaseEvent(id=new_id(), case_id=case.id, kind=EventKind.CREATED, at=at,
                        agent=agent, data={"disposition": case.disposition,
                                           "lead_department": case.lead_department,
                                           "co_departments": case.co_departments})]
    if checked.notes:
        events.append(CaseEvent(id=new_id(), case_id=case.id, kind=EventKind.NOTE, at=at,
                                agent=agent, note=checked.notes))
    session.add_all(events)
    outbox.enqueue_case_created(session, case, events)  # same transaction: the outbox pattern
    if case.caller_phone:
        remember_caller(session, case.caller_phone, case.caller_name, at)
    index_session(session)  # findable by similar-case search as soon as this commits
    return case


# Status a case moves to when an event of this kind is recorded on it.
_STATUS_AFTER: dict[str, Status] = {
    EventKind.DISPATCHED: Status.DISPATCHED,
    EventKind.REDISPATCHED: Status.DISPATCHED,
    EventKind.RETURNED: Status.RETURNED,
    EventKind.RESOLVED: Status.RESOLVED,
    EventKind.REOPENED: Status.IN_PROGRESS,
    EventKind.CLOSED: Status.CLOSED,
}


def record_event_in(session: Session, case: Case, kind: EventKind, agent: str, at: datetime,
                    note: str = "", data: dict[str, Any] | None = None, *,
                    event_id: str | None = None, queue: bool = True) -> CaseEvent:
    """Append an event to a case's timeline and move its status as the event implies.

    `queue` puts it in the terminal's outbox (the central server applies events with False)."""
    event = CaseEvent(id=event_id or new_id(), case_id=case.id, kind=str(kind), at=at,
                      agent=agent, note=clean_text(note), data=data or {})
    session.add(event)
    if queue:
        outbox.enqueue_event(session, event)
    status = _STATUS_AFTER.get(kind)
    if status is not None:
        case.status = str(status)
        if status is Status.RESOLVED:
            case.resolved_at = at
            case.resolution = event.note
    if kind is EventKind.CALLBACK and data and "satisfaction" in data:
        case.satisfaction = str(data["satisfaction"])
    if kind is EventKind.REPEAT_CALL:
        case.repeat_count += 1
    case.updated_at = at
    case.version += 1
    session.add(case)
    return event


def remember_caller(session: Session, phone: str, name: str, at: datetime) -> None:
    caller = session.get(Caller, phone)
    if caller is None:
        session.add(Caller(phone=phone, name=name, last_call_at=at))
        return
    if name:
        caller.name = name
    caller.last_call_at = at
    session.add(caller)


def add_note(store: Store, case_id: str, note: str, agent: str, at: datetime | None = None) -> CaseEvent:
    if not clean_text(note):
        raise ValidationFailed([Problem("notes", "note.required")])
    with store.writer() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise KeyError(case_id)
        event = record_event_in(session, case, EventKind.NOTE, agent, at or now(), note)
        session.commit()
        return event


def attach_repeat_call(store: Store, case_id: str, agent: str, *, draft: CaseDraft | None = None,
                       phone: str = "", name: str = "", note: str = "",
                       at: datetime | None = None) -> CaseEvent:
    """Attach this call to an existing case instead of filing a duplicate: a repeat-call event
    with the caller and what they said, and the case's repeat count goes up (shift leads see it).

    Give the intake form's `draft`, or the caller's `phone`, `name` and a `note`."""
    if draft is not None:
        phone, name = phone or draft.caller_phone, name or draft.caller_name
        note = note or "\n".join(p for p in (draft.description.strip(), draft.notes.strip()) if p)
    try:
        caller = normalise_phone(phone)
    except PhoneError as exc:
        raise ValidationFailed([Problem("caller_phone", f"phone.{exc}",
                                        {"value": phone.strip()})]) from exc
    name = clean_text(name, multiline=False)
    when = at or now()
    with store.writer() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise KeyError(case_id)
        event = record_event_in(session, case, EventKind.REPEAT_CALL, agent, when, note,
                                {"caller_phone": caller.e164, "caller_name": name})
        if caller.e164 and not caller.withheld:
            remember_caller(session, caller.e164, name, when)
        session.commit()
        return event


def timeline(store: Store, case_id: str) -> list[CaseEvent]:
    with store.session() as session:
        return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                 .order_by(col(CaseEvent.at), col(CaseEvent.id))).all())


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


EXPORT_COLUMNS = (
    "case_id", "case_no", "created_at", "caller_phone", "caller_name", "address", "district",
    "category", "department", "co_departments", "status", "title", "description",
    "resolved_at", "resolution", "satisfaction", "lat", "lon", "location_kind", "urgency",
    "disposition", "due_at", "agent", "repeat_count", "id", "sync_state",
)


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
