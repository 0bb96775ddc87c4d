"""A table's secondary indexes set aside during a bulk write, and built again after it.

Inserting a row into the case table also inserts into each of its secondary indexes, at keys
all over their B-trees: on a quiet 2-core machine, 200,000 imported rows took 18 s with the
indexes in place and 3.4 s without, and building the indexes afterwards (one sort each) 2.6 s.
So a big import drops them (`set_aside`) and builds them again at its end (`restore`).

The primary key and UNIQUE constraints are not secondary indexes (they live in the table's own
definition) and stay: `INSERT OR IGNORE` still finds a duplicate. Partial indexes are set aside
too when the first rows enter them: the open-case and callback indexes (store step 11) hold
whatever share of an imported file is open or awaiting a callback (`bench_import.py`'s file: all
of it), and written in place they made its 1,000,000-row import 59.9 s against 52.2 s. One the
first rows do not enter stays in place (`set_aside(rows_after=...)`): building it again costs a
scan of the table, 0.26-0.32 s each at 1,000,000 rows for the three small queues, which an
imported case never enters. (A helper thread for SQLite's sorter, `PRAGMA threads
= 2`, built the indexes 1.3 s faster on an idle machine, but slowed `hotline import` as a
whole: the routing model learns on the second core meanwhile.)

Each index's own SQL is kept in `meta` in the transaction that drops it, so nothing here repeats
the schema, and a crash in between is mended on the next open of the store (`mend`), once the
process that set them aside is gone.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable

Progress = Callable[[int, int], None]  # (indexes built, indexes to build)


def _key(table: str) -> str:
    return f"deferred_indexes:{table}"


def set_aside(conn: sqlite3.Connection, table: str, rows_after: int | None = None) -> int:
    """Drop `table`'s secondary indexes, noting their SQL in `meta` in the same transaction.
    With `rows_after` (a rowid: the bulk write's first rows are those after it, written with
    the indexes in place), a partial index none of those rows enters stays: an imported case
    starts in no queue of extended, repeated or supervised cases, and a file of past cases
    has few open ones; the rows that enter such an index later are few, where building it
    again costs a scan of the whole table. Returns how many were dropped."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = [(name, sql) for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY name", (table,)).fetchall()
            if rows_after is None or _entered(conn, table, sql, rows_after)]
        if found:
            note = _json().dumps({"pid": os.getpid(), "indexes": [sql for _, sql in found]})
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value", (_key(table), note))
            for name, _ in found:
                conn.execute(f'DROP INDEX "{name}"')
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(found)


def _entered(conn: sqlite3.Connection, table: str, sql: str, rows_after: int) -> bool:
    """Whether a row after `rows_after` is in the index `sql` makes (always, for a full one).
    (The condition is read from the index's own SQL, as SQLite keeps it: this project's
    indexes name no column "where".)"""
    where = " ".join(sql.split()).partition(" WHERE ")[2]
    return not where or conn.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE rowid > ? AND ({where}))',
        (rows_after,)).fetchone()[0] == 1


def restore(conn: sqlite3.Connection, table: str, progress: Progress | None = None) -> int:
    """Build the indexes `set_aside` dropped (each in its own transaction, so a reader waits
    for one index at a time), refresh the planner's statistics and clear the note. Returns how
    many were built; 0 when nothing was set aside."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_key(table),)).fetchone()
    if row is None:
        return 0
    statements = _json().loads(row[0])["indexes"]
    for done, sql in enumerate(statements, 1):
        conn.execute("BEGIN IMMEDIATE")
        try:  # IF NOT EXISTS: a crash may have come after some were built
            conn.execute(sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if progress:
            progress(done, len(statements))
    # Dropping an index dropped its statistics too; the lead queues' plans rely on them.
    conn.execute("PRAGMA analysis_limit = 1000")
    conn.execute(f'ANALYZE "{table}"')
    conn.execute("DELETE FROM meta WHERE key = ?", (_key(table),))
    return len(statements)


def mend(conn: sqlite3.Connection) -> int:
    """On opening the store: build again the indexes a crashed bulk write left set aside. A
    note whose process still runs is an import in progress and is left to it."""
    built = 0
    for key, value in conn.execute(
            "SELECT key, value FROM meta WHERE key LIKE 'deferred_indexes:%'").fetchall():
        if _alive(_json().loads(value).get("pid")):
            continue
        built += restore(conn, key.split(":", 1)[1])
    return built


def _json():
    import json  # only where a note is written or read: opening a store for the TUI skips it

    return json


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():  # this process set them aside: its import is still running
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
