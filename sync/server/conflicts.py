"""Field conflicts from concurrent edits (recorded by push, see `push._fields`), and how a
shift lead settles one: the field takes the chosen value (checked as a field edit is), the
case's version moves on, and both the case and the conflict go into the change log so every
terminal pulls the outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from models.domain.timeutil import now
from models.domain.validation import check_field_value
from models.store.tables import Case
from sync.protocol import ConflictWire

from .auth import User
from .db import Database, log_changes
from .received import BatchCatalogue
from .tables import conflict


class NotFound(LookupError):
    """The conflict, or the case it belongs to, does not exist."""


def list_conflicts(db: Database, *, resolved: bool = False) -> list[ConflictWire]:
    with db.reader() as s:
        rows = s.execute(select(conflict).where(conflict.c.resolved == resolved)
                         .order_by(conflict.c.created_at)).all()
    return [ConflictWire(**r._mapping) for r in rows]


def resolve_conflict(db: Database, conflict_id: str, value: Any, user: User) -> ConflictWire:
    """Settle a conflict (again, if it already was: the last decision wins). The value goes
    through the same check as a field edit (`check_field_value`): ValidationFailed naming the
    field when the field cannot hold it."""
    with db.writer() as s:
        row = s.execute(select(conflict).where(conflict.c.id == conflict_id)).first()
        if row is None:
            raise NotFound(f"no conflict {conflict_id}")
        case = s.get(Case, row.case_id)
        if case is None:
            raise NotFound(f"no case {row.case_id}")
        value = check_field_value(row.field, value, BatchCatalogue(s))
        setattr(case, row.field, value)
        case.version += 1
        case.updated_at = now()
        s.add(case)
        s.execute(update(conflict).where(conflict.c.id == conflict_id).values(
            resolved=True, resolution=value, resolved_by=user.id))
        s.flush()
        log_changes(s, [("case", case.id), ("conflict", conflict_id)])
        s.commit()
        row = s.execute(select(conflict).where(conflict.c.id == conflict_id)).first()
    return ConflictWire(**row._mapping)
