"""Reference data on the server: the default catalogue (departments and categories), seeded
once into a new database and logged so terminals pull it."""

from __future__ import annotations

from sqlalchemy import select

from models.reference.catalogue import read_catalogue
from models.store.tables import Department

from .db import Database, bump_clock, log_changes


def seed_reference(db: Database) -> int:
    """Load the default catalogue once (under the clock's lock, so two servers starting at once
    seed it once); returns how many rows were added."""
    departments, categories = read_catalogue()
    with db.writer() as s:
        bump_clock(s)
        if s.execute(select(Department).limit(1)).first() is not None:
            s.rollback()
            return 0
        for row in [*departments, *categories]:
            s.merge(row)
        s.flush()
        log_changes(s, [("department", d.code) for d in departments]
                    + [("category", c.code) for c in categories])
        s.commit()
    return len(departments) + len(categories)
