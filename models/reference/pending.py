"""Department names from imported data that matched nothing in the catalogue, held for a lead.

An import matches each name it meets (`models.reference.matching`); a name that matches nothing
is not added to the catalogue. Its cases carry a stable code (`imp:<name>`) and the name waits in
the store's `pending_department` table with how many rows named it. The department picker and
the routing suggestions read the catalogue (`department`) only, so agents never meet it. A lead:
- `map_pending(store, name, code)`: it is that catalogue department; its cases move to `code`
  and the name becomes one of its aliases, so the next import matches it;
- `accept_pending(store, name)`: it is a department of its own; it joins the catalogue.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from models.store.local import Store


class PendingError(ValueError):
    pass


@dataclass
class Pending:
    code: str
    name: str
    cases: int
    source: str
    first_seen: str


def record(conn: sqlite3.Connection, names: dict[str, tuple[str, int]], source: str, at: str) -> None:
    """Inside the caller's transaction: code -> (name, rows naming it) join the pending list."""
    conn.executemany(
        "INSERT INTO pending_department (code, name, cases, source, first_seen) VALUES (?,?,?,?,?) "
        "ON CONFLICT (code) DO UPDATE SET cases = cases + excluded.cases",
        [(code, name, n, source, at) for code, (name, n) in sorted(names.items())])


def list_pending(store: Store) -> list[Pending]:
    """Most named first."""
    with store.raw() as conn:
        rows = conn.execute("SELECT code, name, cases, source, first_seen FROM pending_department "
                            "ORDER BY cases DESC, name").fetchall()
    return [Pending(*row) for row in rows]


def _find(conn: sqlite3.Connection, name: str) -> tuple[str, str]:
    row = conn.execute("SELECT code, name FROM pending_department WHERE name = ? OR code = ?",
                       (name.strip(), name.strip())).fetchone()
    if row is None:
        raise PendingError(f"not in the pending list: {name}")
    return row


def map_pending(store: Store, name: str, code: str) -> int:
    """`name` is the catalogue department `code`: its cases move there, the name becomes an
    alias. Returns the cases moved."""
    with store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            old, shown = _find(conn, name)
            row = conn.execute("SELECT aliases FROM department WHERE code = ?", (code,)).fetchone()
            if row is None:
                raise PendingError(f"no such department in the catalogue: {code}")
            aliases = json.loads(row[0] or "[]")
            if shown not in aliases:
                aliases.append(shown)
            conn.execute("UPDATE department SET aliases = ? WHERE code = ?",
                         (json.dumps(aliases, ensure_ascii=False), code))
            moved = conn.execute('UPDATE "case" SET lead_department = ? WHERE lead_department = ?',
                                 (code, old)).rowcount
            quoted_old, quoted_new = json.dumps(old, ensure_ascii=False), json.dumps(code)
            conn.execute('UPDATE "case" SET co_departments = replace(co_departments, ?, ?) '
                         "WHERE instr(co_departments, ?) > 0", (quoted_old, quoted_new, quoted_old))
            conn.execute("DELETE FROM pending_department WHERE code = ?", (old,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return moved


def accept_pending(store: Store, name: str) -> str:
    """`name` is a department of its own: it joins the catalogue (source "import"). Its code."""
    with store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            code, shown = _find(conn, name)
            has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in shown)
            conn.execute(
                "INSERT OR IGNORE INTO department (code, name_zh, name_en, aliases, parent, "
                "district, categories, location_kinds, source) VALUES (?,?,?,?,?,?,?,?,?)",
                (code, shown if has_cjk else "", "" if has_cjk else shown,
                 json.dumps([shown], ensure_ascii=False), "", "", "[]", "[]", "import"))
            conn.execute("DELETE FROM pending_department WHERE code = ?", (code,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return code


def accept_all(store: Store) -> int:
    """Every pending name joins the catalogue (what a lead does for a city's own agency list)."""
    names = [p.code for p in list_pending(store)]
    for code in names:
        accept_pending(store, code)
    return len(names)
