"""The rules a case's values must follow, one place for the terminal and the server.

The intake form, `hotline new`, imports pushed to the server and every change that arrives over
the wire go through these functions. Each problem names its field and a message code
(`models.domain.i18n`), so the agent reads what to fix in their language and the server answers
a 4xx naming the field.

No database here: catalogue lookups come in through `CatalogueLookup` (the terminal's store and
the server's database each provide one, `models.reference.catalogue.SessionCatalogue`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .case_shape import EDITABLE_FIELDS, CaseDraft
from .deadlines import working_days_for
from .enums import Disposition, LocationKind, Status, Urgency
from .messages import Problem, ValidationFailed
from .phone import PhoneError, normalise_phone
from .text import clean_text

MAX_DESCRIPTION = 20_000  # characters typed at intake; imports may carry longer history
MAX_NAME = 60
TITLE_LENGTH = 30  # a title made from the description's first line

# Closed vocabularies of a case's fields: the stored values each may take.
VOCABULARIES = {"location_kind": LocationKind, "urgency": Urgency, "disposition": Disposition,
                "status": Status}
_NUMBER_FIELDS = {"lat", "lon"}
_LIST_FIELDS = {"co_departments"}
_MULTILINE_FIELDS = {"description", "resolution"}


class CatalogueLookup(Protocol):
    """The reference data validation needs: a category or department by any of its names."""

    def category(self, text: str) -> tuple[str, int] | None:
        """(code, working days to resolve at normal urgency), or None when unknown."""

    def department(self, text: str) -> str | None:
        """The department's code, or None when unknown."""


@dataclass
class CheckedCase:
    """A draft that passed validation, with every field resolved to its stored form."""

    values: dict[str, Any]
    notes: str
    due_days: int


def check_draft(draft: CaseDraft, catalogue: CatalogueLookup) -> CheckedCase:
    """Validate what the agent typed against the rules of intake; raises ValidationFailed with
    every problem at once."""
    problems: list[Problem] = []
    description = _description(draft.description, problems)
    phone_e164, withheld = _phone(draft.caller_phone, problems)
    name = clean_text(draft.caller_name, multiline=False)
    if len(name) > MAX_NAME:
        problems.append(Problem("caller_name", "name.too_long", {"length": len(name), "limit": MAX_NAME}))
    location = _choice("location_kind", draft.location_kind, problems)
    urgency = _choice("urgency", draft.urgency, problems)
    disposition = _choice("disposition", draft.disposition, problems)
    category, due_days = _category(draft.category, catalogue, problems)
    lead, co = _departments(draft.lead_department, draft.co_departments, catalogue, problems)
    address = clean_text(draft.address, multiline=False)
    # A dispatch needs the place to go; with no department yet the case waits, open, for a lead
    # or dispatcher to send it (an IVR hook, paper cases typed in after an outage).
    dispatching = disposition is Disposition.DISPATCH and bool(lead or co)
    if dispatching:
        if not address:
            problems.append(Problem("address", "address.required"))
        if not lead and not any(p.field == "lead_department" for p in problems):
            problems.append(Problem("lead_department", "department.required"))
    if problems:
        raise ValidationFailed(problems)
    status = (Status.DISPATCHED if dispatching else
              Status.OPEN if disposition is Disposition.DISPATCH else Status.CLOSED)
    return CheckedCase(
        values=dict(
            caller_phone=phone_e164, caller_withheld=withheld, caller_name=name,
            title=clean_text(draft.title, multiline=False) or title_from(description),
            description=description, address=address,
            district=clean_text(draft.district, multiline=False),
            location_kind=str(location), category=category, urgency=str(urgency),
            disposition=str(disposition), lead_department=lead, co_departments=co,
            status=str(status),
        ),
        notes=clean_text(draft.notes),
        due_days=working_days_for(due_days, str(urgency)),
    )


def title_from(description: str, limit: int = TITLE_LENGTH) -> str:
    first = description.splitlines()[0] if description else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def check_record(values: dict[str, Any]) -> list[Problem]:
    """Problems in a stored case's values as they arrive over the wire (a pushed new case):
    the description is there and every closed vocabulary holds a value it knows."""
    problems: list[Problem] = []
    if not clean_text(values.get("description") or ""):
        problems.append(Problem("description", "description.required"))
    for name in VOCABULARIES:
        value = values.get(name)
        if not _known(name, value):
            problems.append(Problem(name, f"{name}.unknown", {"value": value}))
    return problems


def check_field_value(name: str, value: Any) -> Any:
    """A field edit's new value, cleaned as the form would store it; raises ValidationFailed."""
    if name not in EDITABLE_FIELDS:
        raise ValidationFailed([Problem(name, "field.not_editable", {"field": name})])
    if name in _NUMBER_FIELDS:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValidationFailed([Problem(name, "field.not_number", {"field": name})])
        return value
    if name in _LIST_FIELDS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationFailed([Problem(name, "field.not_list", {"field": name})])
        return value
    if not isinstance(value, str):
        raise ValidationFailed([Problem(name, "field.not_text", {"field": name})])
    if name in VOCABULARIES and not _known(name, value):
        raise ValidationFailed([Problem(name, f"{name}.unknown", {"value": value})])
    return clean_text(value, multiline=name in _MULTILINE_FIELDS)


def _known(name: str, value: Any) -> bool:
    return isinstance(value, str) and value in VOCABULARIES[name].values()


def _description(raw: str, problems: list[Problem]) -> str:
    description = clean_text(raw)
    if not description:
        problems.append(Problem("description", "description.required"))
    elif len(description) > MAX_DESCRIPTION:
        problems.append(Problem("description", "description.too_long",
                                {"length": len(description), "limit": MAX_DESCRIPTION}))
    return description


def _phone(raw: str, problems: list[Problem]) -> tuple[str, bool]:
    try:
        phone = normalise_phone(raw)
    except PhoneError as exc:
        problems.append(Problem("caller_phone", f"phone.{exc}", {"value": raw.strip()}))
        return "", True
    return phone.e164, phone.withheld


def _choice(name: str, raw: str, problems: list[Problem]):
    """A closed vocabulary's value from its value, label or alias (its default when empty)."""
    kind = VOCABULARIES[name]
    try:
        return kind.parse(raw, kind.default())
    except ValueError:
        problems.append(Problem(name, f"{name}.unknown", {"value": raw}))
        return None


def _category(raw: str, catalogue: CatalogueLookup, problems: list[Problem]) -> tuple[str, int]:
    if not raw.strip():
        return "", 5
    found = catalogue.category(raw)
    if found is None:
        problems.append(Problem("category", "category.unknown", {"value": raw.strip()}))
        return "", 5
    return found


def _departments(lead_raw: str, co_raw: list[str], catalogue: CatalogueLookup,
                 problems: list[Problem]) -> tuple[str, list[str]]:
    lead = ""
    if lead_raw.strip():
        lead = catalogue.department(lead_raw) or ""
        if not lead:
            problems.append(Problem("lead_department", "department.unknown", {"value": lead_raw.strip()}))
    co: list[str] = []
    for raw in co_raw:
        if not raw.strip():
            continue
        code = catalogue.department(raw)
        if code is None:
            problems.append(Problem("co_departments", "department.unknown", {"value": raw.strip()}))
        elif code == lead:
            problems.append(Problem("co_departments", "department.duplicate", {"value": raw.strip()}))
        elif code not in co:
            co.append(code)
    return lead, co
