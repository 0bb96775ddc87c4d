"""Reference data on the server: the default catalogue (departments and categories), seeded
once into a new database, and the aliases a newer release adds to it merged in at each start,
logged so terminals pull them."""

from __future__ import annotations

from sqlalchemy import select

from models.reference.catalogue import merge_aliases, read_catalogue
from models.store.tables import Department

from .db import Database, bump_clock, log_changes


def seed_reference(db: Database) -> int:
    """Load the default catalogue once (under the clock's lock, so two servers starting at once
    seed it once); into a catalogue seeded before, add the aliases a newer built-in file gained,
    logged so terminals pull them (`models.reference.catalogue.merge_aliases`, as a terminal
    merges them into its own store). Returns how many rows were added or gained aliases."""
    departments, categories = read_catalogue()
    with db.writer() as s:
        bump_clock(s)
        if s.execute(select(Department).limit(1)).first() is not None:
            changed = merge_aliases(s, departments, categories)
            if not changed:
                s.rollback()
                return 0
            s.flush()
            log_changes(s, changed)
            s.commit()
            return len(changed)
        for row in [*departments, *categories]:
            s.merge(row)
        s.flush()
        log_changes(s, [("department", d.code) for d in departments]
                    + [("category", c.code) for c in categories])
        s.commit()
    return len(departments) + len(categories)
