"""What the server takes from a pushed case or event, and what it stamps itself.

The terminal says what the caller said; the server says who and when. For a new case
(`case.create.v1`) and every event:

- the author (`agent`) is the token's user;
- the time is the server's receipt: a case's `created_at` and `updated_at`, an event's `at`.
  The terminal's own clock is kept beside it for the record when it is plausible
  (`models.domain.validation.terminal_time`): a case's `taken_at`, an event's `data.taken_at`;
- what the lifecycle decides is derived, not taken: the status from the disposition (as intake
  derives it), the due date from the category and urgency, version 1, every counter 0, no
  resolution time, source `local`, no external id;
- every value the terminal may set goes through the intake's rules (`check_draft`: the same
  function as the form, against the server's catalogue) and the record's (`check_record`).

The exception is imported history: an admin's token may send cases with source
`import:<mapping>` (what `hotline import --server` sends). They keep their own times (bounded to
1970 .. now + 1 day), status, resolution and the source's categories and agencies, checked with
the import limits; the author is still the importing admin, version 1 and counters 0.
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from models.domain.case_shape import CaseDraft, CaseRecord, intake_values
from models.domain.deadlines import add_working_days
from models.domain.enums import Disposition, EventKind
from models.domain.messages import Problem, ValidationFailed
from models.domain.validation import (
    check_draft,
    check_event,
    check_id,
    check_record,
    check_time,
    clean_record,
    terminal_time,
)
from models.store.tables import Category, Department
from sync.protocol import CaseWire, EventWire

from .auth import User

COUNTERS = tuple(name for name in CaseRecord.model_fields if name.endswith("_count"))
# Events a live new case may bring with it (the rest are lifecycle steps, sent later).
WITH_A_NEW_CASE = frozenset({EventKind.CREATED, EventKind.NOTE})


def is_import(source: Any) -> bool:
    return isinstance(source, str) and source.startswith("import:")


class BatchCatalogue:
    """The server's catalogue as validation reads it (`CatalogueLookup`), loaded once for a
    batch: by code, either name or any alias, ignoring case and spacing."""

    def __init__(self, session: Session) -> None:
        self.categories: dict[str, tuple[str, int]] = {}
        self.departments: dict[str, str] = {}
        for c in session.execute(select(Category)).scalars():
            for name in (c.code, c.name_zh, c.name_en, *c.aliases):
                if name:
                    self.categories.setdefault(_norm(name), (c.code, c.due_days))
        for d in session.execute(select(Department)).scalars():
            for name in (d.code, d.name_zh, d.name_en, *d.aliases):
                if name:
                    self.departments.setdefault(_norm(name), d.code)

    def category(self, text: str) -> tuple[str, int] | None:
        return self.categories.get(_norm(text))

    def department(self, text: str) -> str | None:
        return self.departments.get(_norm(text))


CATALOGUE_TTL_S = 30.0
_catalogues: dict[str, tuple[float, BatchCatalogue]] = {}


def cached_catalogue(session: Session) -> BatchCatalogue:
    """The catalogue of this session's database, read at most once every CATALOGUE_TTL_S per
    process: every push of a new case validates against it, and it changes only when the
    reference data is seeded (an empty one is never kept, so a fresh database's seed is seen
    at once). Two round trips and the name maps saved on a push of one case."""
    key = str(session.get_bind().url)
    at = time.monotonic()
    kept = _catalogues.get(key)
    if kept is not None and at - kept[0] < CATALOGUE_TTL_S:
        return kept[1]
    catalogue = BatchCatalogue(session)
    if catalogue.categories and catalogue.departments:
        _catalogues[key] = (at, catalogue)
    return catalogue


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


def new_case(wire: CaseWire, user: User, received: datetime,
             catalogue: BatchCatalogue) -> dict[str, Any]:
    """The row to store for a pushed new case; raises ValidationFailed naming each field."""
    values = wire.model_dump()
    if is_import(values["source"]):
        if user.role != "admin":
            raise ValidationFailed([Problem("source", "rule.import_admin_only",
                                            {"source": values["source"][:60]})])
        return _imported(values, user, received)
    return _live(wire, values, user, received, catalogue)


def _live(wire: CaseWire, values: dict[str, Any], user: User, received: datetime,
          catalogue: BatchCatalogue) -> dict[str, Any]:
    own = {k: values[k] for k in ("id", "case_no", "resolution", "satisfaction", "lat", "lon")}
    problems: list[Problem] = []
    try:
        checked = check_draft(CaseDraft(**intake_values(wire)), catalogue)
    except ValidationFailed as exc:
        problems += exc.problems
    problems += check_record(own, now=received)
    if problems:
        raise ValidationFailed(problems)
    dispatched = checked.values["disposition"] == Disposition.DISPATCH
    return {
        **checked.values, **clean_record(own), "id": own["id"], "case_no": own["case_no"],
        "external_id": None, "source": "local", "created_at": received, "updated_at": received,
        "taken_at": terminal_time(wire.created_at, received),
        "due_at": _due(received, checked.due_days) if dispatched else None,
        "resolved_at": None, "agent": user.id, "version": 1, **dict.fromkeys(COUNTERS, 0),
    }


@lru_cache(maxsize=64)
def _due(received: datetime, days: int) -> datetime:
    """The due date from the receipt (one per batch and category's days: the calendar is slow)."""
    return add_working_days(received, days)


def _imported(values: dict[str, Any], user: User, received: datetime) -> dict[str, Any]:
    problems = check_record(values, now=received, imported=True)
    if problems:
        raise ValidationFailed(problems)
    return {**values, **clean_record(values), "caller_withheld": not values["caller_phone"],
            "taken_at": None, "agent": user.id, "version": 1, **dict.fromkeys(COUNTERS, 0)}


def new_event(e: EventWire, user: User, received: datetime, *, imported: bool = False
              ) -> dict[str, Any]:
    """An event to store as the server stamps it: by the token's user, at the server's receipt
    time (the terminal's `at` in `data.taken_at` when plausible); imported history keeps its
    own time. Raises ValidationFailed naming the field."""
    problems: list[Problem] = []
    if (p := check_id("event.id", e.id)) is not None:
        problems.append(p)
    try:
        note, data = check_event(e.kind, e.note, e.data, imported=imported)
    except ValidationFailed as exc:
        raise ValidationFailed(problems + exc.problems) from None
    if imported:
        if (p := check_time("event.at", e.at, now=received)) is not None:
            problems.append(p)
        at = e.at
    else:
        at = received
        data.pop("taken_at", None)
        taken = terminal_time(e.at, received)
        if taken is not None:
            data["taken_at"] = taken.isoformat()
    if problems:
        raise ValidationFailed(problems)
    return {"id": e.id, "case_id": e.case_id, "kind": e.kind, "at": at, "agent": user.id,
            "note": note, "data": data}


def created_event_data(case: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """A new case's `created` event says what intake decided: from the stored case, not the
    terminal (the terminal's clock, `taken_at`, stays; so does the knowledge article a call
    answered directly was answered from, `kb_article` and `kb_version`, checked). Raises
    ValidationFailed naming `data.kb_article` or `data.kb_version`."""
    return {**{k: v for k, v in data.items() if k == "taken_at"}, **_answered_from(case, data),
            "disposition": case["disposition"], "lead_department": case["lead_department"],
            "co_departments": case["co_departments"]}


def _answered_from(case: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The article (id, version) an answered call names; none on any other disposition."""
    if case["disposition"] != Disposition.ANSWERED or not ({"kb_article", "kb_version"} & set(data)):
        return {}
    problems: list[Problem] = []
    article, version = data.get("kb_article"), data.get("kb_version")
    problem = check_id("data.kb_article", article)
    if problem is not None:
        problems.append(problem)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**31:
        problems.append(Problem("data.kb_version", "field.not_number", {"field": "data.kb_version"}))
    if problems:
        raise ValidationFailed(problems)
    return {"kb_article": article, "kb_version": version}
