"""Streaming CSV import into the local store, leaving the similar-case search index current.

Rows are read, checked and written in batches (memory stays bounded however large the file); a
bad row is reported with the line it starts on and the rest go on; the same file imported twice
adds nothing (`case_id`, or a content hash when the source has none, is the key).

Two cores, three processes: for a big file a second process reads and checks the CSV (Python
work per row) and a third tokenises each batch's texts into search postings, while this one
writes the rows and indexes them (SQLite and numpy work per batch), so that none waits on
another's interpreter lock (`reader.py`). A small file is read in this process. Batches of
rows are committed a few at a time (`COMMIT_ROWS`); the search index gathers the postings of
many batches in numpy arrays and writes them as one sorted segment per term (`models.search.index.Segmenter`), in the
transaction that moves its watermark past them. When the import returns, the index is current:
the first search answers at once. A crash in between leaves committed rows above the watermark,
which the next search catches up.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from models.domain.enums import Status
from models.domain.region import region as phone_region
from models.reference.catalogue import department_code_for, department_from_import
from models.reference.matching import match_department
from models.reference.pending import record as record_pending
from models.search import index as search_index
from models.store import Store, deferred_indexes
from models.store.tables import Category, Department

from . import staged
from .mapping import Mapping
from .parse import (
    ImportError_,
    Rejected,
    _Batch,
    _parse,
    _Plan,
    gc_paused,
)

__all__ = ["ImportError_", "ImportReport", "Rejected", "import_csv"]

PARALLEL_BYTES = 8 << 20  # files at least this big are read and tokenised by helper processes
CACHE_KB = 12_288  # SQLite page cache while importing: the case table's indexes take writes all over
# ... and while the rows stream in with those indexes set aside: rows and segments are appended,
# and the default cache does as well (measured at 1,000,000 rows); its 10 MB go to the helpers
APPEND_CACHE_KB = 2_048
DEFER_INDEXES_ROWS = 50_000  # files of this many rows or more write without secondary indexes
# Batches share a transaction until COMMIT_ROWS rows or COMMIT_SECONDS have gone in: a page of
# the case table's indexes that several batches change goes to the WAL once, not once a batch
# (into a store that holds cases, whose index entries land all over their B-trees: 100,000 rows
# into 1,000,000: 8.9-9.1 s committing each batch, 7.1-7.5 s so), and the write lock is
# still let go often enough for a terminal saving a case beside the import.
COMMIT_ROWS = 20_000
COMMIT_SECONDS = 1.0
MAX_REJECTS_KEPT = 1000  # the summary keeps the first ones; the count is always exact

Progress = Callable[[int, int], None]  # (bytes read, total bytes)


@dataclass
class ImportReport:
    mapping: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    departments_added: list[str] = field(default_factory=list)
    departments_pending: list[str] = field(default_factory=list)  # held for a lead
    departments_matched: dict[str, str] = field(default_factory=dict)  # name -> catalogue code

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTS_KEPT:
            self.rejected.append(Rejected(line, reason))

    def as_dict(self) -> dict[str, Any]:
        return {"mapping": self.mapping, "rows": self.rows, "imported": self.imported,
                "duplicates": self.duplicates, "rejected": self.rejected_count,
                "rejected_rows": [r.__dict__ for r in self.rejected],
                "departments_added": self.departments_added,
                "departments_pending": self.departments_pending,
                "departments_matched": self.departments_matched}


class _Lookups:
    """Caches: a million rows name a few hundred departments, categories and statuses."""

    def __init__(self, store: Store, accept_departments: bool = False) -> None:
        self.accept_departments = accept_departments
        self.departments: dict[str, str] = {}
        self.pending: dict[str, list] = {}  # code -> [name, rows naming it]
        self.matched: dict[str, str] = {}  # a name matched to the catalogue -> its code
        self.categories: dict[str, str] = {}
        self.statuses: dict[str, str] = {}
        self.new_departments: dict[str, Department] = {}
        with store.session() as s:
            self.catalogue = list(s.exec(select(Department)).all())
            for d in self.catalogue:
                for name in (d.code, d.name_zh, d.name_en, *d.aliases):
                    if name:
                        self.departments.setdefault(name.strip().lower(), d.code)
            for c in s.exec(select(Category)).all():
                for name in (c.code, c.name_zh, c.name_en, *c.aliases):
                    if name:
                        self.categories.setdefault(name.strip().lower(), c.code)

    def department(self, name: str, rows: int = 1) -> str:
        """The catalogue code of a department name `rows` rows give."""
        key = name.strip().lower()
        if not key:
            return ""
        code = self.departments.get(key)
        if code is None:
            found = match_department(name, self.catalogue)
            if found is not None:
                code = self.departments[key] = found.code
                self.matched[name.strip()] = found.code
            elif self.accept_departments:
                dept = department_from_import(name.strip())
                self.new_departments[dept.code] = dept
                code = self.departments[key] = dept.code
            else:  # held for a lead: its cases carry a stable code, the catalogue stays as is
                code = self.departments[key] = department_code_for(name)
                self.pending[code] = [name.strip(), 0]
        held = self.pending.get(code)
        if held is not None:
            held[1] += rows
        return code

    def category(self, name: str) -> str:
        key = name.strip().lower()
        return self.categories.get(key, name.strip())

    def status(self, raw: str) -> str:
        code = self.statuses.get(raw)
        if code is None:
            try:
                code = str(Status.parse(raw, Status.OPEN))
            except ValueError:
                code = str(Status.OPEN)
            self.statuses[raw] = code
        return code


def _parsed_here(plan: _Plan) -> Iterator[str | _Batch]:
    """A small file's batches, read in this process; their rows as images, as from a helper
    (one way into the store)."""
    for item in _parse(plan):
        if isinstance(item, _Batch) and item.rows:
            item.rows = staged.stage(item.rows)
        yield item


def _parsed(plan: _Plan, parallel: bool) -> Iterator[str | _Batch]:
    if not parallel:
        yield from _parsed_here(plan)
        return
    import pickle
    import subprocess

    from models.processes import module_command

    from . import frames

    # Two fresh interpreters running `models.importing.reader`: the reading process checks the
    # rows and hands each batch's texts, through a pipe of their own, to the tokenising
    # process, which makes the postings; both send here. The three stages keep two cores busy.
    command, env = module_command("models.importing.reader")
    texts_in, texts_out = os.pipe()
    try:
        tokeniser = subprocess.Popen([*command, "--tokenise"], stdin=texts_in,
                                     stdout=subprocess.PIPE, env=env)
    finally:
        os.close(texts_in)
    try:
        reader = subprocess.Popen([*command, "--texts-fd", str(texts_out)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, env=env, pass_fds=(texts_out,))
    except BaseException:
        tokeniser.kill()
        tokeniser.wait()
        raise
    finally:
        os.close(texts_out)
    children = {"reading": reader, "tokenising": tokeniser}
    assert reader.stdin and reader.stdout and tokeniser.stdout
    inboxes = {name: frames.Inbox(child.stdout, room=1) for name, child in children.items()}

    def receive(name: str):
        try:
            item = inboxes[name].get()
        except EOFError:
            raise ImportError_(f"{Path(plan.path).name}: the {name} process stopped "
                               f"(exit {children[name].wait()})") from None
        if isinstance(item, BaseException):
            raise item
        return item

    try:
        pickle.dump(plan, reader.stdin)
        reader.stdin.close()
        while (item := receive("reading")) is not None:
            if isinstance(item, _Batch) and item.rows:
                item.postings = receive("tokenising")
            yield item
    finally:
        for name, child in children.items():
            if child.poll() is None:
                child.kill()
            child.wait()
            inboxes[name].close()
            child.stdout.close()


def import_csv(
    store: Store,
    path: Path | str,
    mapping: Mapping | str | None = None,
    *,
    tz: str | None = None,
    encoding: str = "utf-8-sig",
    progress: Progress | None = None,
    parallel: bool | None = None,
    accept_departments: bool = False,
    index_progress: Progress | None = None,
    rows_written: Callable[[], None] | None = None,
) -> ImportReport:
    """Import a CSV file; the search index is current when this returns.

    `progress(bytes read, total bytes)` is called after each batch. `parallel`: read and tokenise
    the file in helper processes (default: for files of PARALLEL_BYTES or more). Department names are
    matched to the catalogue (`models.reference.matching`); the rest wait in the pending list
    for a lead (`models.reference.pending`), unless `accept_departments` (a city importing its
    own agency list) adds them to the catalogue at once. A big file is written without the
    case table's secondary indexes, built again at the end: `index_progress(built, of)` is
    called after each. `rows_written()` is called once every row is committed, before the
    import's closing steps (the search index's merge, those index builds), which keep one core
    busy: what only reads the rows can run beside them (`hotline import` starts the routing
    model's learning there)."""
    path = Path(path)
    total = path.stat().st_size
    if parallel is None:
        # (the helpers share a pipe passed by descriptor: POSIX only)
        parallel = total >= PARALLEL_BYTES and os.name == "posix"
    with store.raw() as conn:
        if not search_index.is_current(conn):  # an older index format, or a crash's backlog
            search_index.catch_up(conn)
        index_state = search_index.state(conn)
    plan = _Plan(str(path), encoding, mapping, tz, index_state, phone_region())
    lookups = _Lookups(store, accept_departments)
    parsed = _parsed(plan, parallel)
    try:
        report = ImportReport(mapping=next(parsed))
    except StopIteration:  # pragma: no cover - _parse always yields the mapping first
        raise ImportError_(f"{path.name}: nothing to import") from None
    tick = (lambda pos: progress(pos, total)) if progress else (lambda pos: None)
    with store.raw() as conn:
        conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        # Commits are checkpointed into the file in bigger steps (a page that several commits
        # change is written once), and not fsynced on their own: a power cut can lose the
        # last batches (never corrupt the store), and importing the file again adds exactly
        # them. The last commit is synced before this returns.
        conn.execute("PRAGMA wal_autocheckpoint = 8192")
        conn.execute("PRAGMA synchronous = NORMAL")
        with gc_paused():  # the unpickled batches, as in the reading process (`parse.gc_paused`)
            _write_all(conn, parsed, report, lookups, tick, total, index_progress, rows_written)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    tick(total)
    return report


class _Transaction:
    """The import's write transaction, open across batches until it holds COMMIT_ROWS rows
    or has been open COMMIT_SECONDS. What is committed is whole batches, so a crash or a bad
    line loses at most the batches since the last commit, which importing again adds."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.rows = 0
        self.since = 0.0

    def open(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.rows, self.since = 0, time.monotonic()

    def wrote(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= COMMIT_ROWS or time.monotonic() - self.since >= COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _write_all(conn, parsed, report: ImportReport, lookups: _Lookups, tick, total: int,
               index_progress: Progress | None, rows_written: Callable[[], None] | None) -> None:
    """Write each batch (a few to a transaction), index what it added, and add new departments.
    A big file writes without the case table's secondary indexes and builds them at the end."""
    seg = search_index.Segmenter(conn, reserve=search_index.SEGMENT_RESERVE)
    tx = _Transaction(conn)
    top = 0
    deferred = finished = False
    staged.attach(conn)
    try:
        for batch in parsed:
            first = report.rows == 0
            if first:  # (its rows go in with the indexes, to tell which of them to keep)
                start = conn.execute('SELECT coalesce(max(rowid), 0) FROM "case"').fetchone()[0]
                defer = _worth_deferring(batch, total, start)
            top, seg = _write_batch(conn, tx, batch, seg, top, report, lookups)
            if first and defer:
                tx.commit()
                deferred = deferred_indexes.set_aside(conn, "case", rows_after=start) > 0
                if deferred:
                    conn.execute(f"PRAGMA cache_size = -{APPEND_CACHE_KB}")
                    seg.merge_at = None  # `_finish` joins every term's segments at the end
            tick(batch.pos)
        tx.commit()
        if rows_written:
            rows_written()
        _finish(conn, seg, top, lookups, report, compact=deferred)
        finished = True
    finally:  # a bad file stops the import halfway: the rows written so far keep their indexes
        tx.commit()
        if deferred:
            conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
            if not finished:  # (and their terms the merges the flushes left to the end)
                _merge_crowded(conn)
            deferred_indexes.restore(conn, "case", index_progress)
        staged.detach(conn)


def _merge_crowded(conn) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        search_index.merge_crowded(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _write_batch(conn, tx: _Transaction, batch, seg, top: int, report: ImportReport,
                 lookups: _Lookups):
    """One batch's rows in the import's transaction, their postings gathered (and written as a
    segment when enough are, and then committed). Returns the highest rowid written and the
    segmenter."""
    report.rows += batch.rows_read
    for rej in batch.rejected:
        report.reject(rej.line, rej.reason)
    rows = batch.rows
    if rows:
        inserted, rowids, keep = _insert_batch(conn, tx, rows, lookups)
        report.imported += inserted
        report.duplicates += len(rows) - inserted
        if rowids:
            top = max(top, rowids[-1])
            seg.add_postings(rowids, batch.postings, keep)
        if seg.full:
            _flush(tx, seg, top)
            seg = search_index.Segmenter(conn, buffer=seg.buffer, merge_at=seg.merge_at)
    return top, seg


def _worth_deferring(batch, total: int, have: int) -> bool:
    """Set the indexes aside when the file's rows (estimated from the first batch's bytes)
    are many, and the table's (`have`) are few beside them: building an index again costs
    about a sixth of inserting the same rows into it (`models.store.deferred_indexes`), but it
    also covers the rows already there."""
    if not batch.rows_read or not batch.pos:
        return False
    expected = batch.rows_read * total / batch.pos
    return expected >= DEFER_INDEXES_ROWS and have < 3 * expected


def _insert_batch(conn, tx: _Transaction, rows: staged.StagedRows, lookups: _Lookups
                  ) -> tuple[int, list[int], list | None]:
    """Give the rows their categories and departments, and insert them in the import's
    transaction (which this may commit). Returns (rows inserted, their rowids, which rows went
    in: None when all did)."""
    # Each distinct name once per batch (a batch names a few dozen), then one pass of lookups.
    categories = {raw: lookups.category(raw) for raw in rows.categories}
    departments = {raw: lookups.department(raw, times) for raw, times in rows.departments.items()}
    tx.open()
    try:
        before = conn.execute('SELECT coalesce(max(rowid), 0) FROM "case"').fetchone()[0]
        inserted = staged.insert(conn, rows, categories, departments)
        keep = None
        if inserted == len(rows):
            rowids = list(range(before + 1, before + 1 + inserted))
        else:  # duplicates were skipped: which rows went in, under which rowids
            got = dict((e, r) for r, e in conn.execute(
                'SELECT rowid, external_id FROM "case" WHERE rowid > ?', (before,)))
            external = staged.external_ids(conn)
            keep = [e in got for e in external]
            rowids = [got[e] for e in external if e in got]
        tx.wrote(len(rows))
    except BaseException:
        tx.rollback()
        raise
    return inserted, rowids, keep


def _finish(conn, seg, top: int, lookups: _Lookups, report: ImportReport,
            compact: bool = False) -> None:
    """The last transaction: the index's last segment (or what others added meanwhile, if it
    is little), and the departments the file named that the catalogue did not have. A big
    import (`compact`) then joins each term's segments into one: searches read them faster."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if seg.pending:
            search_index.flush_with_gaps(seg, top)
        else:  # nothing new; still index what others added meanwhile, if it is little
            search_index.index_new_cases(conn)
        if compact:
            seg.release()  # (its buffer's memory, before the merge takes its own)
            search_index.merge_crowded(conn, at=2)
        _record_departments(conn, lookups, report)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _record_departments(conn, lookups: _Lookups, report: ImportReport) -> None:
    """Names the file gave that matched the catalogue, those held for a lead, and (with
    --accept-departments) the ones added to the catalogue."""
    if lookups.pending:
        record_pending(conn, {c: (n, k) for c, (n, k) in lookups.pending.items()},
                       report.mapping, datetime.now(UTC).isoformat(timespec="seconds"))
        report.departments_pending = sorted(n for n, _ in lookups.pending.values())
    report.departments_matched = dict(sorted(lookups.matched.items()))
    for dept in lookups.new_departments.values():
        cur = conn.execute(
            "INSERT OR IGNORE INTO department (code, name_zh, name_en, aliases, parent, "
            "district, categories, location_kinds, source) VALUES (?,?,?,?,?,?,?,?,?)",
            (dept.code, dept.name_zh, dept.name_en, json.dumps([dept.name_zh or dept.name_en],
             ensure_ascii=False), "", "", "[]", "[]", "import"))
        if cur.rowcount:
            report.departments_added.append(dept.name_zh or dept.name_en)


def _flush(tx: _Transaction, seg, top: int) -> None:
    tx.open()
    try:
        search_index.flush_with_gaps(seg, top)
        tx.commit()
    except BaseException:
        tx.rollback()
        raise
