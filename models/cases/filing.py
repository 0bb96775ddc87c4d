"""The one save path for a new case, and the timeline operations on existing ones.

The intake form, `hotline new` and `hotline new --batch` all come through `file_case`, so a
case is validated and stored the same way whoever files it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.domain.case_draft import CaseDraft
from models.domain.deadlines import add_working_days, working_days_for
from models.domain.enums import Disposition, EventKind, LocationKind, Status, Urgency
from models.domain.ids import new_id
from models.domain.messages import Problem, ValidationFailed
from models.domain.phone import PhoneError, normalise_phone
from models.domain.text import clean_text
from models.domain.timeutil import now
from models.reference.catalogue import resolve_category, resolve_department
from models.search.index import index_session
from models.store import Store, outbox
from models.store.tables import Case, CaseEvent

from .callers import remember_caller

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
