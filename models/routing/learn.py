"""Learning from the store's history: catch up from where the statistics left off, or rebuild.

Learning is incremental by construction: the statistics file remembers the last `case` and
`caseevent` rowids it has read, so a save adds one case, an import of a million adds a million,
and nothing is read twice. Imported cases teach their outcome from their status; cases taken
here teach it from their timeline (resolved and returned events), as it happens.

Two learners may run at once on one statistics file (a terminal's worker and `hotline import`'s
learning process, or `hotline route`): each writes its counts in the transaction that moves the
"last rowid read" on, and only if that rowid is still where it started from. A learner that was
overtaken drops what it counted and goes on from the other's position: no case counts twice.
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
        conn.execute("BEGIN IMMEDIATE")  # (read inside: another learner may have added to them)
        learned_since = int(stats.get_state(conn, "since_reweigh", "0") or 0)
        total = int(stats.get_state(conn, "cases", "0") or 0)
        if learned_since and (total <= SMALL_HISTORY or learned_since >= REWEIGH_SHARE * total
                              or report.rebuilt):
            stats.reweigh(conn)
            stats.set_state(conn, "since_reweigh", 0)
        conn.execute("COMMIT")
    finally:
        store_conn.close()
        conn.close()
    report.seconds = time.perf_counter() - started
    return report


def _learn_cases(conn: sqlite3.Connection, store_conn: sqlite3.Connection, todo: int,
                 progress: stats.Progress | None) -> int:
    """The cases after the last one learned, counted and written out in steps; returns how many
    this call wrote (those another learner wrote first are not counted again)."""
    first = last = _last_case(conn)  # `first`: where the counts in `acc` start from
    learned = counted = 0
    acc = stats.Accumulator()
    while True:
        rows = store_conn.execute(
            'SELECT rowid, title, substr(description, 1, ?), category, lead_department, disposition, '
            'status, source FROM "case" WHERE rowid > ? ORDER BY rowid LIMIT ?',
            (2 * LEARN_CHARS, last, CHUNK)).fetchall()
        for _, title, description, category, lead, disposition, status, source in rows:
            acc.add_case(tokens(learning_text(title, description)), category,
                         department_label(lead, disposition))
            if lead and disposition == "dispatch":
                imported = source.startswith("import")
                acc.add_outcome(category, lead, assigned=1,
                                resolved=int(imported and status in RESOLVED),
                                returned=int(imported and status == "returned"))
        more = bool(rows)
        if rows:
            last = rows[-1][0]
            counted += len(rows)
        if not rows or acc.size() >= FLUSH_ENTRIES:
            if _flush(conn, acc, first, last, counted):
                learned += counted
            else:  # overtaken: go on from exactly where the other learner got to
                last, more = _last_case(conn), True
            first, counted, acc = last, 0, stats.Accumulator()
        if not more:
            return learned
        if progress:
            progress(learned + counted, max(todo, learned + counted))


def _last_case(conn: sqlite3.Connection) -> int:
    return int(stats.get_state(conn, "case_rowid", "0") or 0)


def _flush(conn: sqlite3.Connection, acc: stats.Accumulator, first_rowid: int,
           last_rowid: int, cases: int) -> bool:
    """Write the counts of the cases after `first_rowid` up to `last_rowid`, unless another
    learner has moved the statistics on from `first_rowid` meanwhile (then nothing: False)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _last_case(conn) != first_rowid:
            conn.execute("ROLLBACK")
            return False
        acc.flush(conn)
        stats.set_state(conn, "case_rowid", last_rowid)
        for key in ("cases", "since_reweigh"):
            stats.set_state(conn, key, int(stats.get_state(conn, key, "0") or 0) + cases)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


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
    if int(stats.get_state(conn, "event_rowid", "0") or 0) != last:  # another learner's
        conn.execute("ROLLBACK")
        return _learn_events(conn, store_conn)
    acc.flush(conn)
    stats.set_state(conn, "event_rowid", rows[-1][0])
    conn.execute("COMMIT")
    return counted
