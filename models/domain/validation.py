"""The rules a case's values must follow, one place for the terminal and the server.

The intake form, `hotline new`, imports pushed to the server and every change that arrives over
the wire go through these functions. Each problem names its field and a message code
(`models.domain.i18n`), so the agent reads what to fix in their language and the server answers
a 4xx (or a rejected mutation) naming the field.

- `check_draft`: what the agent typed (the form, `hotline new`, a pushed new case's intake fields);
- `check_record`: the rest of a stored case as it arrives over the wire (identity, times, the
  lifecycle's vocabularies, coordinates), and for imported history its text with import limits;
- `check_field_value`: one field edit's new value;
- `check_event`: a timeline event's note and data;
- `check_time`, `check_id`: the bounds every time and every identifier keeps.

No database here: catalogue lookups come in through `CatalogueLookup` (the terminal's store and
the server's database each provide one, `models.reference.catalogue.SessionCatalogue`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .case_shape import EDITABLE_FIELDS, CaseDraft
from .deadlines import working_days_for
from .enums import (
    Disposition,
    EventKind,
    Labelled,
    LocationKind,
    Satisfaction,
    Status,
    Urgency,
)
from .messages import Problem, ValidationFailed
from .phone import PhoneError, normalise_phone
from .text import clean_text

# Lengths, in characters (after cleaning).
MAX_DESCRIPTION = 20_000  # typed at intake (and a note, a resolution)
MAX_IMPORTED_TEXT = 200_000  # imported history (an admin's `hotline import --server`) may be longer
MAX_IMPORTED_LINE = 1_000  # ... and so may its one-line fields (LA 311 districts run to 96)
MAX_NAME = 60
MAX_TITLE = 200
MAX_ADDRESS = 300
MAX_DISTRICT = 60
MAX_ID = 64  # ids, case numbers, external ids, catalogue codes
MAX_CO_DEPARTMENTS = 20
MAX_DATA_KEYS = 32  # an event's data
MAX_DATA_TEXT = 2_000
TITLE_LENGTH = 30  # a title made from the description's first line

# Times: nothing before 1970 and nothing more than a day ahead of the clock that checks it.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
# A deadline (an open case's due date) lies ahead; past 2199 it is a wrong value or an attack.
LATEST_DEADLINE = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
# A terminal's own clock is kept for the record (`taken_at`) when it is within this window of
# the server's receipt time; outside it, the terminal's clock is wrong and its time is dropped.
TERMINAL_CLOCK_PAST = timedelta(days=90)
TERMINAL_CLOCK_AHEAD = timedelta(days=1)

_SOURCE = re.compile(r"local|import:[A-Za-z0-9_.\-]{1,40}")
_DATA_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_SPACE = re.compile(r"\s")  # what str.isspace calls a space (one search, not a loop per character)


# Closed vocabularies of a case's fields: the stored values each may take.
VOCABULARIES: dict[str, type[Labelled]] = {
    "location_kind": LocationKind, "urgency": Urgency, "disposition": Disposition,
    "status": Status}
_NUMBER_FIELDS = {"lat", "lon"}
_COORDINATE_RANGE = {"lat": 90.0, "lon": 180.0}
_LIST_FIELDS = {"co_departments"}
_MULTILINE_FIELDS = {"description", "resolution"}
# The longest each free-text field may be (live values; imports use MAX_IMPORTED_TEXT for the
# multi-line ones).
TEXT_LIMITS: dict[str, int] = {
    "caller_name": MAX_NAME, "title": MAX_TITLE, "description": MAX_DESCRIPTION,
    "address": MAX_ADDRESS, "district": MAX_DISTRICT, "resolution": MAX_DESCRIPTION,
    "category": MAX_ID, "lead_department": MAX_ID, "co_departments": MAX_ID,
    "note": MAX_DESCRIPTION,
}


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
    name = _text("caller_name", draft.caller_name, problems)
    location = _choice("location_kind", draft.location_kind, problems)
    urgency = _choice("urgency", draft.urgency, problems)
    disposition = _choice("disposition", draft.disposition, problems)
    category, due_days = _category(draft.category, catalogue, problems)
    lead, co = _departments(draft.lead_department, draft.co_departments, catalogue, problems)
    address = _text("address", draft.address, problems)
    district = _text("district", draft.district, problems)
    title = _text("title", draft.title, problems)
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
    return CheckedCase(
        values=dict(
            caller_phone=phone_e164, caller_withheld=withheld, caller_name=name,
            title=title or title_from(description), description=description, address=address,
            district=district, location_kind=str(location), category=category,
            urgency=str(urgency), disposition=str(disposition), lead_department=lead,
            co_departments=co, status=str(status_for(disposition, bool(lead or co))),
        ),
        notes=clean_text(draft.notes),
        due_days=working_days_for(due_days, str(urgency)),
    )


def status_for(disposition: Disposition | str, has_department: bool) -> Status:
    """A new case's state: dispatched when it goes to a department, open (awaiting dispatch)
    when it is to be dispatched but has no department yet, else closed at intake."""
    if disposition != Disposition.DISPATCH:
        return Status.CLOSED
    return Status.DISPATCHED if has_department else Status.OPEN


def title_from(description: str, limit: int = TITLE_LENGTH) -> str:
    first = description.splitlines()[0] if description else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def check_record(values: dict[str, Any], *, now: datetime | None = None,
                 imported: bool = False) -> list[Problem]:
    """Problems in a stored case's values as they arrive over the wire (a pushed new case),
    beyond what intake checks: the description is there, every closed vocabulary holds a value it
    knows, identifiers are short and printable, times are in range (1970 to a day past `now`),
    coordinates are on the globe, satisfaction is a known answer. With `imported`, the intake's
    text fields too, with the import limits (imported history skips `check_draft`: its
    categories and departments are the source's own). Checks only the fields present."""
    problems: list[Problem] = []
    if "description" in values and not clean_text(values["description"] or ""):
        problems.append(Problem("description", "description.required"))
    for name in VOCABULARIES:
        if name in values and not _known(name, values[name]):
            problems.append(Problem(name, f"{name}.unknown", {"value": str(values[name])[:80]}))
    for name in ("id", "case_no"):
        if name in values:
            _append(problems, check_id(name, values[name]))
    if values.get("external_id") is not None:
        _append(problems, check_id("external_id", values["external_id"]))
    if "source" in values and not (isinstance(values["source"], str)
                                   and _SOURCE.fullmatch(values["source"])):
        problems.append(Problem("source", "source.unknown", {"value": str(values["source"])[:80]}))
    at = now or datetime.now(UTC)
    for name in ("created_at", "updated_at", "resolved_at"):
        if values.get(name) is not None:
            _append(problems, check_time(name, values[name], now=at))
    for name in ("due_at", "extension_due_at"):  # deadlines: in the future, within reason
        if values.get(name) is not None:
            _append(problems, check_time(name, values[name], now=at, latest=LATEST_DEADLINE))
    if "satisfaction" in values:
        _satisfaction(values["satisfaction"], problems)
    for name in _NUMBER_FIELDS:
        if name in values:
            _append(problems, _coordinate(name, values[name]))
    if "resolution" in values:
        _text("resolution", values["resolution"], problems, imported=imported)
    if imported:
        _imported_intake(values, problems)
    return problems


def clean_record(values: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a wire case's free text, satisfaction and coordinates (those present):
    what `check_record` accepted, cleaned as the form cleans it."""
    out: dict[str, Any] = {}
    for name in ("caller_name", "title", "description", "address", "district", "resolution",
                 "category", "lead_department"):
        if isinstance(values.get(name), str):
            out[name] = clean_text(values[name], multiline=name in _MULTILINE_FIELDS)
    if isinstance(values.get("co_departments"), list):
        out["co_departments"] = [clean_text(c, multiline=False) for c in values["co_departments"]
                                 if isinstance(c, str)]
    if "satisfaction" in values:
        out["satisfaction"] = _satisfaction(values["satisfaction"], [])
    for name in _NUMBER_FIELDS:
        if name in values:
            out[name] = None if values[name] is None else float(values[name])
    return out


def _imported_intake(values: dict[str, Any], problems: list[Problem]) -> None:
    """Imported history's intake fields: the phone in E.164 or empty, text within the import
    limits, codes as identifiers (the source's own categories and agencies)."""
    _text("description", values.get("description"), problems, imported=True)
    for name in ("caller_name", "title", "address", "district"):
        _text(name, values.get(name), problems, imported=True)
    phone = values.get("caller_phone") or ""
    if phone:
        try:
            if normalise_phone(phone).e164 != phone:
                problems.append(Problem("caller_phone", "phone.not_e164", {"value": phone[:40]}))
        except PhoneError as exc:
            problems.append(Problem("caller_phone", f"phone.{exc}", {"value": str(phone)[:40]}))
    for name in ("category", "lead_department"):  # the source's own names, one line each
        _text(name, values.get(name), problems, imported=True)
    co = values.get("co_departments") or []
    if len(co) > MAX_CO_DEPARTMENTS:
        problems.append(Problem("co_departments", "departments.too_many",
                                {"count": len(co), "limit": MAX_CO_DEPARTMENTS}))
    for code in co[:MAX_CO_DEPARTMENTS]:
        _text("co_departments", code, problems, imported=True)


def check_field_value(name: str, value: Any, catalogue: CatalogueLookup | None = None) -> Any:
    """A field edit's new value, cleaned as the form would store it; raises ValidationFailed.
    With a catalogue, a category or department must be one it knows (stored as its code)."""
    if name not in EDITABLE_FIELDS:
        raise ValidationFailed([Problem(name, "field.not_editable", {"field": name})])
    problems: list[Problem] = []
    if name in _NUMBER_FIELDS:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValidationFailed([Problem(name, "field.not_number", {"field": name})])
        _append(problems, _coordinate(name, value))
        if problems:
            raise ValidationFailed(problems)
        return None if value is None else float(value)
    if name in _LIST_FIELDS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationFailed([Problem(name, "field.not_list", {"field": name})])
        if len(value) > MAX_CO_DEPARTMENTS:
            raise ValidationFailed([Problem(name, "departments.too_many",
                                            {"count": len(value), "limit": MAX_CO_DEPARTMENTS})])
        if catalogue is None:
            for code in value:
                _append(problems, check_id(name, code))
            if problems:
                raise ValidationFailed(problems)
            return value
        _, co = _departments("", value, catalogue, problems)
        if problems:
            raise ValidationFailed(problems)
        return co
    if not isinstance(value, str):
        raise ValidationFailed([Problem(name, "field.not_text", {"field": name})])
    if name in VOCABULARIES:
        if not _known(name, value):
            raise ValidationFailed([Problem(name, f"{name}.unknown", {"value": value[:80]})])
        return value
    if name == "satisfaction":
        cleaned = _satisfaction(value, problems)
    elif name == "category" and catalogue is not None:
        cleaned, _ = _category(value, catalogue, problems)
    elif name == "lead_department" and catalogue is not None:
        cleaned, _ = _departments(value, [], catalogue, problems)
    else:
        cleaned = _text(name, value, problems)
    if problems:
        raise ValidationFailed(problems)
    return cleaned


def check_event(kind: str, note: Any, data: Any, *, imported: bool = False
                ) -> tuple[str, dict[str, Any]]:
    """A timeline event's note and data as they arrive over the wire, cleaned: the kind is one
    the timeline knows, the note within the form's limit, the data a small flat object (short
    keys; text, numbers, flags or lists of codes), a callback's satisfaction a known answer, a
    repeat call's phone in E.164. Raises ValidationFailed naming `kind`, `note` or `data.KEY`."""
    problems: list[Problem] = []
    if kind not in EventKind.values():
        raise ValidationFailed([Problem("kind", "event.unknown", {"value": str(kind)[:40]})])
    if not isinstance(note, str):
        raise ValidationFailed([Problem("note", "field.not_text", {"field": "note"})])
    cleaned_note = _text("note", note, problems, imported=imported)
    if kind == EventKind.NOTE and not cleaned_note:
        problems.append(Problem("note", "note.required"))
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("data", "data.not_object")])
    if len(data) > MAX_DATA_KEYS:
        raise ValidationFailed([Problem("data", "data.too_many", {"count": len(data),
                                                                  "limit": MAX_DATA_KEYS})])
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not _DATA_KEY.fullmatch(key):
            problems.append(Problem("data", "data.bad_key", {"value": str(key)[:40]}))
            continue
        field = f"data.{key}"
        if key == "satisfaction":
            out[key] = _satisfaction(value, problems, field=field)
        elif key == "caller_phone" and value:
            out[key] = _e164(field, value, problems)
        else:
            out[key] = _data_value(field, value, problems)
    if problems:
        raise ValidationFailed(problems)
    return cleaned_note, out


def check_time(name: str, value: Any, *, now: datetime | None = None,
               earliest: datetime = EARLIEST, latest: datetime | None = None) -> Problem | None:
    """A problem when `value` is not an aware time between `earliest` (1970) and `latest` (a
    day past `now`): a time outside it is a wrong clock or an attack (year 9999 stops PostgreSQL
    readers)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return Problem(name, "time.naive", {"field": name})
    latest = latest or (now or datetime.now(UTC)) + FUTURE_SLACK
    try:
        ok = earliest <= value <= latest
    except OverflowError:
        ok = False
    if not ok:
        return Problem(name, "time.out_of_range", {
            "field": name, "value": _iso(value), "earliest": earliest.date().isoformat(),
            "latest": latest.date().isoformat()})
    return None


def terminal_time(value: datetime | None, received: datetime) -> datetime | None:
    """A terminal's own clock reading, kept for the record when it is plausible (within
    TERMINAL_CLOCK_PAST before and TERMINAL_CLOCK_AHEAD after the server's receipt); None when
    it is not (a clock set wrong, or a time made up)."""
    if value is None or value.tzinfo is None:
        return None
    try:
        if received - TERMINAL_CLOCK_PAST <= value <= received + TERMINAL_CLOCK_AHEAD:
            return value
    except OverflowError:
        pass
    return None


def check_id(name: str, value: Any, *, limit: int = MAX_ID) -> Problem | None:
    """A problem when `value` is not an identifier: 1 to `limit` printable characters without
    spaces (so no control characters, no NUL, no bidi overrides)."""
    if not isinstance(value, str) or not value:
        return Problem(name, "id.required", {"field": name})
    if len(value) > limit:
        return Problem(name, "id.too_long", {"field": name, "length": len(value), "limit": limit})
    if not value.isprintable() or _SPACE.search(value):
        return Problem(name, "id.not_printable", {"field": name})
    return None


def _append(problems: list[Problem], problem: Problem | None) -> None:
    if problem is not None:
        problems.append(problem)


def _iso(value: datetime) -> str:
    try:
        return value.isoformat()
    except (OverflowError, ValueError):
        return str(value)


def _known(name: str, value: Any) -> bool:
    return isinstance(value, str) and value in VOCABULARIES[name].values()


def _text(name: str, raw: Any, problems: list[Problem], *, imported: bool = False) -> str:
    """A free-text field cleaned as the form stores it, and its length checked."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        problems.append(Problem(name, "field.not_text", {"field": name}))
        return ""
    multiline = name in _MULTILINE_FIELDS or name == "note"
    text = clean_text(raw, multiline=multiline)
    limit = TEXT_LIMITS.get(name, MAX_DATA_TEXT)
    if imported:
        limit = MAX_IMPORTED_TEXT if multiline else MAX_IMPORTED_LINE
    if len(text) > limit:
        code = {"description": "description.too_long", "caller_name": "name.too_long"}.get(
            name, "text.too_long")
        problems.append(Problem(name, code, {"field": name, "length": len(text), "limit": limit}))
    return text


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
        problems.append(Problem("caller_phone", f"phone.{exc}", {"value": raw.strip()[:40]}))
        return "", True
    return phone.e164, phone.withheld


def _e164(field: str, raw: Any, problems: list[Problem]) -> str:
    if not isinstance(raw, str):
        problems.append(Problem(field, "field.not_text", {"field": field}))
        return ""
    try:
        return normalise_phone(raw).e164
    except PhoneError as exc:
        problems.append(Problem(field, f"phone.{exc}", {"value": raw.strip()[:40]}))
        return ""


def _satisfaction(raw: Any, problems: list[Problem], field: str = "satisfaction") -> str:
    """"" (not asked yet) or a known answer, given by value, label or alias."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    if isinstance(raw, str):
        try:
            return str(Satisfaction.parse(raw))
        except ValueError:
            pass
    problems.append(Problem(field, "satisfaction.unknown", {"value": str(raw)[:80]}))
    return ""


def _coordinate(name: str, value: Any) -> Problem | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Problem(name, "field.not_number", {"field": name})
    if not math.isfinite(value) or abs(value) > _COORDINATE_RANGE[name]:
        return Problem(name, "coordinate.out_of_range",
                       {"field": name, "value": value, "limit": _COORDINATE_RANGE[name]})
    return None


def _data_value(field: str, value: Any, problems: list[Problem]) -> Any:
    """An event data value: text (cleaned, bounded), a finite number, a flag, null, or a short
    list of identifiers."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value) or abs(value) > 2**53:
            problems.append(Problem(field, "field.not_number", {"field": field}))
        return value
    if isinstance(value, str):
        text = clean_text(value)
        if len(text) > MAX_DATA_TEXT:
            problems.append(Problem(field, "text.too_long",
                                    {"field": field, "length": len(text), "limit": MAX_DATA_TEXT}))
        return text
    if isinstance(value, list) and len(value) <= MAX_CO_DEPARTMENTS:
        for item in value:
            _append(problems, check_id(field, item))
        return value
    problems.append(Problem(field, "data.bad_value", {"field": field}))
    return None


def _choice(name: str, raw: str, problems: list[Problem]):
    """A closed vocabulary's value from its value, label or alias (its default when empty)."""
    kind = VOCABULARIES[name]
    if raw in kind._value2member_map_:  # the stored value itself (every pushed case): no search
        return kind(raw)
    try:
        return kind.parse(raw, kind.default())
    except ValueError:
        problems.append(Problem(name, f"{name}.unknown", {"value": raw[:80]}))
        return None


def _category(raw: str, catalogue: CatalogueLookup, problems: list[Problem]) -> tuple[str, int]:
    if not raw.strip():
        return "", 5
    found = catalogue.category(raw) if len(raw) <= 2 * MAX_ID else None
    if found is None:
        problems.append(Problem("category", "category.unknown", {"value": raw.strip()[:80]}))
        return "", 5
    return found


def _departments(lead_raw: str, co_raw: list[str], catalogue: CatalogueLookup,
                 problems: list[Problem]) -> tuple[str, list[str]]:
    lead = ""
    if lead_raw.strip():
        lead = (catalogue.department(lead_raw) if len(lead_raw) <= 2 * MAX_ID else None) or ""
        if not lead:
            problems.append(Problem("lead_department", "department.unknown",
                                    {"value": lead_raw.strip()[:80]}))
    co: list[str] = []
    if len(co_raw) > MAX_CO_DEPARTMENTS:
        problems.append(Problem("co_departments", "departments.too_many",
                                {"count": len(co_raw), "limit": MAX_CO_DEPARTMENTS}))
        return lead, co
    for raw in co_raw:
        if not isinstance(raw, str):
            problems.append(Problem("co_departments", "field.not_list", {"field": "co_departments"}))
            continue
        if not raw.strip():
            continue
        code = catalogue.department(raw) if len(raw) <= 2 * MAX_ID else None
        if code is None:
            problems.append(Problem("co_departments", "department.unknown", {"value": raw.strip()[:80]}))
        elif code == lead:
            problems.append(Problem("co_departments", "department.duplicate", {"value": raw.strip()[:80]}))
        elif code not in co:
            co.append(code)
    return lead, co
