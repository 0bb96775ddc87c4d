"""A batch's rows on their way into the case table, as an SQLite database image: the one way
rows go in, whether the reading process made the batch or the importing process did (a small
file).

Handed from the reading process as pickled lists, unpickling 2,500 rows of 22 values and binding
each value again for `executemany` was the importing process's biggest cost (about 19 µs a row
on a slow day). The reading process now binds them once, into an in-memory database whose image
(`Connection.serialize`, about 1 MB a batch) crosses the pipe as bytes; the importing process
loads the image into a schema it has attached (`Connection.deserialize`) and copies the rows
into the case table with one `INSERT ... SELECT`, inside SQLite. The categories and departments
the file names are still resolved by the importing process (the catalogue and the pending list
live with the store): the image carries an empty table for each, which it fills with the batch's
few distinct names before the copy. Nothing is written to disk: the image lives in the two
processes' memory.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

from .parse import _CATEGORY, _COLUMNS, _DEFAULT_VALUES, _DEPARTMENT, _FILLED, _sql_literal

SCHEMA = "import_stage"  # the name the importing process attaches the images under
_NAMES = ("category", "department")  # the names the importing process resolves, and its tables


@dataclass
class StagedRows:
    """One batch's rows as a database image, and what the importing process needs to know of
    them without opening it."""

    image: bytes
    count: int
    categories: list[str]  # the distinct category names the rows give
    departments: Counter[str]  # each department name the rows give, with how many give it

    def __len__(self) -> int:
        return self.count


def stage(rows: list[list]) -> StagedRows:
    """The rows (in `parse._FILLED`'s order) as an image; where the batch is made."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        # No column types: each value is kept as bound, and takes the case table's affinity
        # when copied, as it would have had it been bound for the case table itself.
        db.execute(f"CREATE TABLE rows ({', '.join(_FILLED)})")
        for name in _NAMES:
            db.execute(f"CREATE TABLE {name} (raw PRIMARY KEY, code) WITHOUT ROWID")
        db.execute("BEGIN")
        db.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(_FILLED))})", rows)
        db.execute("COMMIT")
        image = db.serialize()
    finally:
        db.close()
    return StagedRows(image, len(rows), list({r[_CATEGORY] for r in rows}),
                      Counter(r[_DEPARTMENT] for r in rows))


def _attached(conn: sqlite3.Connection) -> bool:
    return any(name == SCHEMA for _, name, _ in conn.execute("PRAGMA database_list"))


def attach(conn: sqlite3.Connection) -> None:
    """Make room for the images on the importing connection (outside a transaction; once,
    if an import that failed could not let it go)."""
    if not _attached(conn):
        conn.execute(f"ATTACH ':memory:' AS {SCHEMA}")


def detach(conn: sqlite3.Connection) -> None:
    """Let the last image go (the connection may serve other work after the import), unless a
    transaction is still open: an import failing its last commit keeps it for the next."""
    if not conn.in_transaction and _attached(conn):
        conn.execute(f"DETACH {SCHEMA}")


# The copy: each column the file fills from the image (the two names through the batch's own
# tables of codes), in the rows' order; the shape's defaults are written into the statement, so
# that an image carries only the values the file gives.
_FROM_IMAGE = {"category": f"(SELECT code FROM {SCHEMA}.category WHERE raw = r.category)",
               "lead_department": f"(SELECT code FROM {SCHEMA}.department "
                                  f"WHERE raw = r.lead_department)"}
_COPY = (f'INSERT OR IGNORE INTO "case" ({", ".join(_COLUMNS)}) SELECT '
         + ", ".join([_FROM_IMAGE.get(c, f"r.{c}") for c in _FILLED]
                     + [_sql_literal(v) for v in _DEFAULT_VALUES])
         + f" FROM {SCHEMA}.rows AS r ORDER BY r.rowid")


def insert(conn: sqlite3.Connection, staged: StagedRows, categories: dict[str, str],
           departments: dict[str, str]) -> int:
    """Copy the batch's rows into the case table (`INSERT OR IGNORE`: a case already there by
    its external id is skipped), each category and department name replaced by its code, in
    the caller's transaction. Returns how many went in."""
    conn.deserialize(staged.image, name=SCHEMA)
    for name, codes in zip(_NAMES, (categories, departments), strict=True):
        conn.executemany(f"INSERT INTO {SCHEMA}.{name} VALUES (?, ?)", codes.items())
    changes = conn.total_changes
    conn.execute(_COPY)
    return conn.total_changes - changes


def external_ids(conn: sqlite3.Connection) -> list[str | None]:
    """The last inserted batch's external ids, in its rows' order."""
    return [e for (e,) in conn.execute(f"SELECT external_id FROM {SCHEMA}.rows ORDER BY rowid")]
