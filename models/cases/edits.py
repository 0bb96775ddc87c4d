"""Editing fields of a saved case: applied locally and queued as one `case.fields.v1` intent
carrying, for each field, the value the agent saw (`old`) and the new one, so the server can
merge three-way and keep both sides of a clash as a conflict record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.domain.messages import Problem, ValidationFailed
from models.domain.timeutil import now
from models.domain.validation import VOCABULARIES, check_field_value
from models.reference.catalogue import SessionCatalogue
from models.search.index import reindex_session, snapshot_session
from models.store import Store
from models.store.outbox import enqueue_fields
from models.store.tables import Case


def edit_case(store: Store, case_id: str, changes: dict[str, Any], agent: str,
              at: datetime | None = None) -> dict[str, tuple[Any, Any]]:
    """Correct fields of a case (the one way to make a field edit): each value checked as the
    form checks it (`models.domain.validation.check_field_value`; vocabularies by value or
    label, departments and categories by any of their names), applied in one local transaction
    with its outbox row. Returns the diff; raises ValidationFailed naming each bad field."""
    with store.writer() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise KeyError(case_id)
        changes = _checked(changes, SessionCatalogue(session))
        diff = {f: (getattr(case, f), v) for f, v in changes.items() if getattr(case, f) != v}
        if not diff:
            return {}
        base = case.version
        before = snapshot_session(session, [case_id])  # the search index follows the edit
        for f, (_old, new) in diff.items():
            setattr(case, f, new)
        case.version += 1
        case.updated_at = at or now()
        session.add(case)
        enqueue_fields(session, case_id, diff, base)
        session.flush()
        reindex_session(session, before)
        session.commit()
    return diff


def _checked(changes: dict[str, Any], catalogue: SessionCatalogue) -> dict[str, Any]:
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for name, raw in changes.items():
        try:
            value = _resolve(name, raw, catalogue)
            out[name] = check_field_value(name, value)
        except ValidationFailed as exc:
            problems += exc.problems
    if problems:
        raise ValidationFailed(problems)
    return out


def _resolve(name: str, raw: Any, catalogue: SessionCatalogue) -> Any:
    """A value as a person gives it (a label, a department's name) to its stored form."""
    if name in VOCABULARIES and isinstance(raw, str):
        try:
            return str(VOCABULARIES[name].parse(raw))
        except ValueError:
            raise ValidationFailed([Problem(name, f"{name}.unknown", {"value": raw})]) from None
    if name == "category" and isinstance(raw, str) and raw.strip():
        found = catalogue.category(raw)
        if found is None:
            raise ValidationFailed([Problem(name, "category.unknown", {"value": raw})])
        return found[0]
    if name in ("lead_department", "co_departments"):
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list):
            return raw
        codes = []
        for item in names:
            code = catalogue.department(item) if isinstance(item, str) and item.strip() else None
            if isinstance(item, str) and item.strip() and code is None:
                raise ValidationFailed([Problem(name, "department.unknown", {"value": item})])
            codes.append(code or "")
        return codes[0] if isinstance(raw, str) else [c for c in codes if c]
    return raw
