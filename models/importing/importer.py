"""Streaming CSV import into the local store, leaving the similar-case search index current.

Rows are read, checked and written in batches (memory stays bounded however large the file); a
bad row is reported with the line it starts on and the rest go on; the same file imported twice
adds nothing (`case_id`, or a content hash when the source has none, is the key).

Two cores, two processes: for a big file a second process reads and checks the CSV (Python work
per row) while this one writes the rows and indexes them (SQLite and numpy work per batch), so
neither waits on the other's interpreter lock. A small file is read in this process. Each batch
of rows is committed on its own; the search index gathers the postings of many batches in numpy
arrays and writes them as one sorted segment per term (`models.search.index.Segmenter`), in the
transaction that moves its watermark past them. When the import returns, the index is current:
the first search answers at once. A crash in between leaves committed rows above the watermark,
which the next search catches up.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import select

from models.domain.case_shape import CaseRecord
from models.domain.enums import Status
from models.domain.phone import PhoneError, normalise_phone
from models.domain.text import clean_text
from models.domain.timeutil import DateParseError, DateParser, now, to_db_text, zone
from models.reference.catalogue import department_from_import
from models.search import index as search_index
from models.store import Store
from models.store.tables import Category, Department

from .mapping import Mapping, MappingError, detect_mapping, load_mapping

BATCH = 5000
PARALLEL_BYTES = 8 << 20  # files at least this big are read by a second process
CACHE_KB = 32_768  # SQLite page cache while importing: the case table's indexes take writes all over
MAX_REJECTS_KEPT = 1000  # the summary keeps the first ones; the count is always exact
csv.field_size_limit(sys.maxsize)  # a description can be megabytes long

Progress = Callable[[int, int], None]  # (bytes read, total bytes)


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    mapping: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    departments_added: list[str] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTS_KEPT:
            self.rejected.append(Rejected(line, reason))

    def as_dict(self) -> dict[str, Any]:
        return {"mapping": self.mapping, "rows": self.rows, "imported": self.imported,
                "duplicates": self.duplicates, "rejected": self.rejected_count,
                "rejected_rows": [r.__dict__ for r in self.rejected],
                "departments_added": self.departments_added}


class ImportError_(ValueError):
    """The whole file cannot be imported (no description column, not UTF-8, ...)."""


class _CountingReader(io.RawIOBase):
    """Counts bytes as the CSV reader pulls them, for the progress bar."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.pos = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.pos += n or 0
        return n


# The fields an import fills, in the order `import_csv` gives them; every other field of the
# shared case shape takes its default, so a field added to the shape needs nothing here.
_FILLED = (
    "id", "case_no", "external_id", "source", "created_at", "updated_at", "caller_phone",
    "caller_withheld", "caller_name", "title", "description", "address", "district", "category",
    "lead_department", "status", "resolved_at", "resolution", "satisfaction", "lat", "lon", "agent",
)
_DEFAULTS = {name: f.get_default(call_default_factory=True)
             for name, f in CaseRecord.model_fields.items() if name not in _FILLED}
_DEFAULT_VALUES = tuple(json.dumps(v) if isinstance(v, list) else v for v in _DEFAULTS.values()) + (
    "imported",)
_COLUMNS = (*_FILLED, *_DEFAULTS, "sync_state")
_INSERT = (f'INSERT OR IGNORE INTO "case" ({", ".join(_COLUMNS)}) '
           f'VALUES ({", ".join("?" * len(_COLUMNS))})')


class _Lookups:
    """Caches: a million rows name a few hundred departments, categories and statuses."""

    def __init__(self, store: Store) -> None:
        self.departments: dict[str, str] = {}
        self.categories: dict[str, str] = {}
        self.statuses: dict[str, str] = {}
        self.new_departments: dict[str, Department] = {}
        with store.session() as s:
            for d in s.exec(select(Department)).all():
                for name in (d.code, d.name_zh, d.name_en, *d.aliases):
                    if name:
                        self.departments.setdefault(name.strip().lower(), d.code)
            for c in s.exec(select(Category)).all():
                for name in (c.code, c.name_zh, c.name_en, *c.aliases):
                    if name:
                        self.categories.setdefault(name.strip().lower(), c.code)

    def department(self, name: str) -> str:
        key = name.strip().lower()
        if not key:
            return ""
        code = self.departments.get(key)
        if code is None:
            dept = department_from_import(name.strip())
            self.new_departments[dept.code] = dept
            code = self.departments[key] = dept.code
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


# Positions in an insert row of the values this process resolves (the parser leaves the source's
# words there): the catalogue's lookups stay with the store.
_CATEGORY, _DEPARTMENT = _COLUMNS.index("category"), _COLUMNS.index("lead_department")
_TITLE, _DESCRIPTION, _ADDRESS = (_COLUMNS.index(c) for c in ("title", "description", "address"))
_EXTERNAL = _COLUMNS.index("external_id")


def _db_time(dt: datetime) -> str:
    """`to_db_text`, faster: a million rows call it twice each."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _uuid7s(n: int) -> list[str]:
    """n UUIDv7 strings, time-ordered (a 12-bit counter within the millisecond), random bits from
    one read of the OS's generator: uuid6.uuid7() reads it once per id."""
    ms = time.time_ns() // 1_000_000
    rand = os.urandom(8 * n)
    out = []
    counter = int.from_bytes(rand[:2], "big") & 0x3FF
    for i in range(n):
        counter += 1
        if counter > 0xFFF:
            counter, ms = 0, ms + 1
        tail = (int.from_bytes(rand[8 * i:8 * i + 8], "big") & 0x3FFFFFFFFFFFFFFF) | (2 << 62)
        h = f"{ms:012x}7{counter:03x}{tail:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


@dataclass
class _Batch:
    rows: list[list]
    rejected: list[Rejected]
    rows_read: int  # records read for this batch (imported or not)
    pos: int  # bytes of the file read so far
    postings: search_index.Postings | None = None  # the rows' search postings, by place


@dataclass
class _Plan:
    """What the parser needs, picklable for the second process."""

    path: str
    encoding: str
    mapping: Mapping | str | None
    tz: str | None
    index_state: dict[str, float] = field(default_factory=dict)  # BM25F's running lengths


def _records(text: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(text)
    next_start = 1
    for row in reader:
        start, next_start = next_start, reader.line_num + 1
        yield start, row


def _parse(plan: _Plan) -> Iterator[str | _Batch]:
    """The file's rows, checked, in batches of BATCH insert rows (lists, the category and
    department as the source wrote them). First yields the mapping's name."""
    name = Path(plan.path).name
    with open(plan.path, "rb") as raw_file:
        counter = _CountingReader(raw_file)
        text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 20), encoding=plan.encoding,
                                newline="")
        try:
            yield from _parse_stream(text, plan, name, counter)
        except UnicodeDecodeError as exc:
            raise ImportError_(
                f"{name} is not {plan.encoding.replace('-sig', '')} text (byte {exc.start}): "
                "save it as UTF-8, or give its encoding with --encoding (e.g. gb18030)") from exc


def _parse_stream(text, plan: _Plan, name: str, counter) -> Iterator[str | _Batch]:
    records = _records(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise ImportError_(f"{name} is empty: a header row is needed") from None
    mapping = plan.mapping
    if isinstance(mapping, str):
        mapping = load_mapping(mapping)
    mapping = mapping or detect_mapping(header)
    try:
        get = mapping.compile(header)
    except MappingError as exc:
        raise ImportError_(str(exc)) from exc
    if "description" not in get:
        raise ImportError_(
            f"{name} has no description column (columns: {', '.join(header[:12])}): "
            f"add one, or give a column mapping with --map (built in: nyc311, la311, "
            f"gov_messages_zh, or a mapping file)")
    yield mapping.name
    width = len(header)
    parse_date = DateParser(zone(plan.tz or mapping.tz or None))
    statuses: dict[str, str] = {}
    source = f"import:{mapping.name}"
    imported_at = to_db_text(now())
    empty = lambda row: ""  # noqa: E731
    g = {col: get.get(col, empty) for col in (
        "case_id", "created_at", "caller_phone", "caller_name", "address", "district",
        "category", "department", "status", "title", "description", "resolved_at",
        "resolution", "satisfaction", "lat", "lon")}
    has_created = "created_at" in get
    g_description, g_created, g_resolved = g["description"], g["created_at"], g["resolved_at"]
    g_phone, g_lat, g_lon, g_address = g["caller_phone"], g["lat"], g["lon"], g["address"]
    g_case_id, g_status = g["case_id"], g["status"]
    batch: list[list] = []
    rejected: list[Rejected] = []
    read = 0
    tokenize = search_index.Tokenizer.from_state(plan.index_state)

    def done() -> _Batch:
        docs = [search_index.Doc(i, r[_TITLE], r[_DESCRIPTION], r[_ADDRESS])
                for i, r in enumerate(batch)]
        return _Batch(batch, rejected, read, counter.pos, tokenize(docs) if docs else None)

    def status_of(raw: str) -> str:
        code = statuses.get(raw)
        if code is None:
            try:
                code = str(Status.parse(raw, Status.OPEN))
            except ValueError:
                code = str(Status.OPEN)
            statuses[raw] = code
        return code

    for line, row in records:
        if not row:
            continue  # a blank line is not a record
        read += 1
        if len(row) != width:
            rejected.append(Rejected(line, f"expected {width} columns, found {len(row)}: check the quoting of this row"))
            continue
        description = clean_text(g_description(row))
        if not description:
            rejected.append(Rejected(line, "no description: the description column is empty"))
            continue
        try:
            created = _db_time(parse_date(g_created(row))) if has_created else imported_at
        except DateParseError as exc:
            rejected.append(Rejected(line, f"created_at: {exc}; use ISO 8601 (2026-03-10 09:15:00)"))
            continue
        resolved_raw = g_resolved(row)
        try:
            resolved = _db_time(parse_date(resolved_raw)) if resolved_raw else None
        except DateParseError as exc:
            rejected.append(Rejected(line, f"resolved_at: {exc}; use ISO 8601 or leave it empty"))
            continue
        phone_raw = g_phone(row)
        phone, withheld = "", True
        if phone_raw:
            try:
                parsed = normalise_phone(phone_raw)
            except PhoneError:
                rejected.append(Rejected(line, f"caller_phone {phone_raw!r} is not a phone number"))
                continue
            phone, withheld = parsed.e164, parsed.withheld
        try:
            lat_raw, lon_raw = g_lat(row), g_lon(row)
            lat = float(lat_raw) if lat_raw else None
            lon = float(lon_raw) if lon_raw else None
        except ValueError:
            rejected.append(Rejected(line, "lat/lon must be decimal numbers"))
            continue
        address = clean_text(g_address(row), multiline=False)
        case_id = g_case_id(row)
        external = case_id or "sha1:" + hashlib.sha1(
            "\x1f".join((created, phone, address, description)).encode()).hexdigest()[:24]
        status_raw = g_status(row)
        batch.append([
            "", case_id or "IMP-" + external[5:13].upper(), external,
            source, created, created, phone, withheld,
            clean_text(g["caller_name"](row), multiline=False),
            clean_text(g["title"](row), multiline=False), description, address,
            clean_text(g["district"](row), multiline=False),
            g["category"](row), g["department"](row),
            status_of(status_raw) if status_raw else ("resolved" if resolved else "open"),
            resolved, clean_text(g["resolution"](row)), g["satisfaction"](row).strip(),
            lat, lon, "", *_DEFAULT_VALUES])
        if len(batch) >= BATCH:
            yield done()
            batch, rejected, read = [], [], 0
    if batch or rejected or read:
        yield done()


def _parsed(plan: _Plan, parallel: bool) -> Iterator[str | _Batch]:
    if not parallel:
        yield from _parse(plan)
        return
    import pickle
    import subprocess

    # A fresh interpreter running `models.importing.reader`: the plan goes in on its stdin,
    # pickled batches come back on its stdout (no multiprocessing: nothing of this process,
    # its __main__ or its threads, is carried over).
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
    child = subprocess.Popen([sys.executable, "-m", "models.importing.reader"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdin is not None and child.stdout is not None
        pickle.dump(plan, child.stdin)
        child.stdin.close()
        while True:
            try:
                item = pickle.load(child.stdout)
            except EOFError:
                raise ImportError_(f"{Path(plan.path).name}: the reading process stopped "
                                   f"(exit {child.wait()})") from None
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        if child.stdout is not None:
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
) -> ImportReport:
    """Import a CSV file; the search index is current when this returns.

    `progress(bytes read, total bytes)` is called after each batch. `parallel`: read the file
    in a second process (default: for files of PARALLEL_BYTES or more)."""
    path = Path(path)
    total = path.stat().st_size
    if parallel is None:
        parallel = total >= PARALLEL_BYTES
    with store.raw() as conn:
        if not search_index.is_current(conn):  # an older index format, or a crash's backlog
            search_index.catch_up(conn)
        index_state = search_index.state(conn)
    plan = _Plan(str(path), encoding, mapping, tz, index_state)
    lookups = _Lookups(store)
    parsed = _parsed(plan, parallel)
    try:
        report = ImportReport(mapping=next(parsed))
    except StopIteration:  # pragma: no cover - _parse always yields the mapping first
        raise ImportError_(f"{path.name}: nothing to import") from None
    tick = (lambda pos: progress(pos, total)) if progress else (lambda pos: None)
    with store.raw() as conn:
        conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        # Batches are checkpointed into the file in bigger steps (a page that several batches
        # change is written once), and a batch's commit is not fsynced on its own: a power cut
        # can lose the last batches (never corrupt the store), and importing the file again
        # adds exactly them. The last commit is synced before this returns.
        conn.execute("PRAGMA wal_autocheckpoint = 8192")
        conn.execute("PRAGMA synchronous = NORMAL")
        _write_all(conn, parsed, report, lookups, tick)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    tick(total)
    return report


def _write_all(conn, parsed, report: ImportReport, lookups: _Lookups, tick) -> None:
    """Write each batch (its own transaction), index what it added, and add new departments."""
    seg = search_index.Segmenter(conn)
    top = 0
    for batch in parsed:
        report.rows += batch.rows_read
        for rej in batch.rejected:
            report.reject(rej.line, rej.reason)
        rows = batch.rows
        if rows:
            ids = _uuid7s(len(rows))
            for row, case_id in zip(rows, ids, strict=True):
                row[0] = case_id
                row[_CATEGORY] = lookups.category(row[_CATEGORY])
                row[_DEPARTMENT] = lookups.department(row[_DEPARTMENT])
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = conn.execute('SELECT coalesce(max(rowid), 0) FROM "case"').fetchone()[0]
                changes = conn.total_changes
                conn.executemany(_INSERT, rows)
                inserted = conn.total_changes - changes
                keep = None
                if inserted == len(rows):
                    rowids = list(range(before + 1, before + 1 + inserted))
                else:  # duplicates were skipped: which rows went in, under which rowids
                    got = dict((e, r) for r, e in conn.execute(
                        'SELECT rowid, external_id FROM "case" WHERE rowid > ?', (before,)))
                    keep = [r[_EXTERNAL] in got for r in rows]
                    rowids = [got[r[_EXTERNAL]] for r in rows if r[_EXTERNAL] in got]
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            report.imported += inserted
            report.duplicates += len(rows) - inserted
            if rowids:
                top = max(top, rowids[-1])
                seg.add_postings(rowids, batch.postings, keep)
            if seg.full:
                _flush(conn, seg, top)
                seg = search_index.Segmenter(conn)
        tick(batch.pos)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if seg.pending:
            search_index.flush_with_gaps(seg, top)
        else:  # nothing new; still index what others added meanwhile, if it is little
            search_index.index_new_cases(conn)
        if lookups.new_departments:
            for dept in lookups.new_departments.values():
                cur = conn.execute(
                    "INSERT OR IGNORE INTO department (code, name_zh, name_en, aliases, parent, "
                    "district, categories, location_kinds, source) VALUES (?,?,?,?,?,?,?,?,?)",
                    (dept.code, dept.name_zh, dept.name_en, json.dumps([dept.name_zh or dept.name_en],
                     ensure_ascii=False), "", "", "[]", "[]", "import"))
                if cur.rowcount:
                    report.departments_added.append(dept.name_zh or dept.name_en)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _flush(conn, seg, top: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        search_index.flush_with_gaps(seg, top)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
