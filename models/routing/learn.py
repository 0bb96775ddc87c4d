"""Learning from the store's history: catch up from where the statistics left off, or rebuild.

Learning is incremental by construction: the statistics file remembers the last `case` and
`caseevent` rowids it has read, so a save adds one case, an import of a million adds a million,
and nothing is read twice. Imported cases teach their outcome from their status; cases taken
here teach it from their timeline (resolved and returned events), as it happens.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from models.store import sqlite

from . import stats
from .tokens import LEARN_CHARS, learning_text, tokens

CHUNK = 20_000  # cases per read
FLUSH_ENTRIES = 4_000_000  # counter entries kept in memory before writing them out
REWEIGH_SHARE = 0.01  # reweigh when this share of the history is new since the last time
SMALL_HISTORY = 50_000  # below this, reweighing is cheap enough to do after every catch-up

RESOLVED = ("resolved", "closed")


@dataclass
class LearnReport:
    cases: int = 0
    events: int = 0
    seconds: float = 0.0
    rebuilt: bool = False


def department_label(lead: str, disposition: str) -> str:
    """What the department model learns a case as: its lead, or its non-dispatch disposition."""
    if disposition and disposition != "dispatch":
        return "@" + disposition
    return lead


def _store_id(store_conn: sqlite3.Connection) -> str:
    row = store_conn.execute("SELECT value FROM meta WHERE key = 'client_id'").fetchone()
    return row[0] if row else ""


def pending(conn: sqlite3.Connection, store_conn: sqlite3.Connection) -> int:
    """Cases in the store not learned yet (an estimate by rowid, for a progress bar)."""
    last = int(stats.get_state(conn, "case_rowid", "0") or 0)
    top = store_conn.execute('SELECT max(rowid) FROM "case"').fetchone()[0] or 0
    return max(0, top - last)


def learn(data_dir: Path, store_path: Path, progress: stats.Progress | None = None,
          rebuild: bool = False) -> LearnReport:
    """Learn whatever the store holds that the statistics have not seen yet."""
    started = time.perf_counter()
    report = LearnReport()
    conn = stats.connect(data_dir)
    store_conn = sqlite.connect(store_path)
    try:
        store_id = _store_id(store_conn)
        if rebuild or stats.get_state(conn, "format") != stats.FORMAT or \
                stats.get_state(conn, "store_id") not in ("", store_id):
            stats.clear(conn)
            report.rebuilt = True
        conn.execute("BEGIN IMMEDIATE")
        stats.set_state(conn, "format", stats.FORMAT)
        stats.set_state(conn, "store_id", store_id)
        conn.execute("COMMIT")
        todo = pending(conn, store_conn)
        report.cases = _learn_cases(conn, store_conn, todo, progress)
        report.events = _learn_events(conn, store_conn)
        learned_since = int(stats.get_state(conn, "since_reweigh", "0") or 0) + report.cases
        total = int(stats.get_state(conn, "cases", "0") or 0) + report.cases
        conn.execute("BEGIN IMMEDIATE")
        stats.set_state(conn, "cases", total)
        if learned_since and (total <= SMALL_HISTORY or learned_since >= REWEIGH_SHARE * total
                              or report.rebuilt):
            stats.reweigh(conn)
            learned_since = 0
        stats.set_state(conn, "since_reweigh", learned_since)
        conn.execute("COMMIT")
    finally:
        store_conn.close()
        conn.close()
    report.seconds = time.perf_counter() - started
    return report


def _learn_cases(conn: sqlite3.Connection, store_conn: sqlite3.Connection, todo: int,
                 progress: stats.Progress | None) -> int:
    last = int(stats.get_state(conn, "case_rowid", "0") or 0)
    done = 0
    acc = stats.Accumulator()
    while True:
        rows = store_conn.execute(
            'SELECT rowid, title, substr(description, 1, ?), category, lead_department, disposition, '
            'status, source FROM "case" WHERE rowid > ? ORDER BY rowid LIMIT ?',
            (2 * LEARN_CHARS, last, CHUNK)).fetchall()
        if not rows:
            break
        for _, title, description, category, lead, disposition, status, source in rows:
            acc.add_case(tokens(learning_text(title, description)), category,
                         department_label(lead, disposition))
            if lead and disposition == "dispatch":
                imported = source.startswith("import")
                acc.add_outcome(category, lead, assigned=1,
                                resolved=int(imported and status in RESOLVED),
                                returned=int(imported and status == "returned"))
        last = rows[-1][0]
        done += len(rows)
        if acc.size() >= FLUSH_ENTRIES:
            _flush(conn, acc, last)
        if progress:
            progress(done, max(todo, done))
    _flush(conn, acc, last)
    return done


def _flush(conn: sqlite3.Connection, acc: stats.Accumulator, last_rowid: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    acc.flush(conn)
    stats.set_state(conn, "case_rowid", last_rowid)
    conn.execute("COMMIT")


def _learn_events(conn: sqlite3.Connection, store_conn: sqlite3.Connection) -> int:
    """Resolved and returned events of cases taken here: the departments' record, as it happens."""
    last = int(stats.get_state(conn, "event_rowid", "0") or 0)
    rows = store_conn.execute(
        "SELECT e.rowid, e.kind, e.data, c.category, c.lead_department FROM caseevent e "
        'JOIN "case" c ON c.id = e.case_id WHERE e.rowid > ? ORDER BY e.rowid', (last,)).fetchall()
    if not rows:
        return 0
    acc = stats.Accumulator()
    counted = 0
    for _, kind, data, category, lead in rows:
        if kind not in ("returned", "resolved", "redispatched"):
            continue
        try:
            info = json.loads(data) if data else {}
        except ValueError:
            info = {}
        department = str(info.get("department") or info.get("from_department") or lead) \
            if kind == "returned" else lead
        if kind == "returned":
            acc.add_outcome(category, department, returned=1)
        elif kind == "resolved":
            acc.add_outcome(category, department, resolved=1)
        else:  # re-dispatched: the new department is assigned the case
            new = str(info.get("department") or info.get("lead_department") or "")
            if new:
                acc.add_outcome(category, new, assigned=1)
        counted += 1
    conn.execute("BEGIN IMMEDIATE")
    acc.flush(conn)
    stats.set_state(conn, "event_rowid", rows[-1][0])
    conn.execute("COMMIT")
    return counted
