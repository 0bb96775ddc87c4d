"""Streaming CSV import into the local store.

Rows are read, checked and written in batches (memory stays flat however large the file); a bad
row is reported with the line it starts on and the rest go on; the same file imported twice adds
nothing (`case_id`, or a content hash when the source has none, is the key).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import uuid6
from sqlmodel import select

from models.domain.case_shape import CaseRecord
from models.domain.enums import Status
from models.domain.phone import PhoneError, normalise_phone
from models.domain.text import clean_text
from models.domain.timeutil import DateParseError, DateParser, now, to_db_text, zone
from models.reference.catalogue import department_from_import
from models.store import Store
from models.store.tables import Category, Department

from .mapping import Mapping, MappingError, detect_mapping, load_mapping

BATCH = 5000
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


class _BatchWriter:
    """Writes batches on a second thread while the next ones are parsed: the machine has two
    cores, and SQLite lets go of the interpreter while it works. At most two batches wait, so
    memory stays flat however large the file."""

    def __init__(self, conn, report: ImportReport, tick) -> None:
        self.conn, self.report, self.tick = conn, report, tick
        self.queue: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="import-writer", daemon=True)

    def __enter__(self) -> _BatchWriter:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finish()

    def put(self, batch: list[tuple]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def finish(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the parser raises at its next put
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                before = self.conn.total_changes
                self.conn.executemany(_INSERT, batch)
                inserted = self.conn.total_changes - before
                self.conn.execute("COMMIT")
            except BaseException as exc:  # noqa: BLE001 - handed to the parsing thread
                self.error = exc
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                continue
            self.report.imported += inserted
            self.report.duplicates += len(batch) - inserted
            self.tick()


def _records(text: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(text)
    next_start = 1
    for row in reader:
        start, next_start = next_start, reader.line_num + 1
        yield start, row


def import_csv(
    store: Store,
    path: Path | str,
    mapping: Mapping | str | None = None,
    *,
    tz: str | None = None,
    encoding: str = "utf-8-sig",
    progress: Progress | None = None,
) -> ImportReport:
    path = Path(path)
    total = path.stat().st_size
    with open(path, "rb") as raw_file:
        counter = _CountingReader(raw_file)
        text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 20), encoding=encoding, newline="")
        try:
            return _import_stream(store, text, mapping, tz, path.name,
                                  lambda: progress(counter.pos, total) if progress else None)
        except UnicodeDecodeError as exc:
            raise ImportError_(
                f"{path.name} is not {encoding.replace('-sig', '')} text (byte {exc.start}): "
                "save it as UTF-8, or give its encoding with --encoding (e.g. gb18030)") from exc


def _import_stream(store, text, mapping, tz, name, tick) -> ImportReport:
    records = _records(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise ImportError_(f"{name} is empty: a header row is needed") from None
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
    report = ImportReport(mapping=mapping.name)
    width = len(header)
    parse_date = DateParser(zone(tz or mapping.tz or None))
    lookups = _Lookups(store)
    source = f"import:{mapping.name}"
    imported_at = to_db_text(now())
    empty = lambda row: ""  # noqa: E731
    g = {col: get.get(col, empty) for col in (
        "case_id", "created_at", "caller_phone", "caller_name", "address", "district",
        "category", "department", "status", "title", "description", "resolved_at",
        "resolution", "satisfaction", "lat", "lon")}
    has_created = "created_at" in get

    batch: list[tuple] = []
    with store.raw() as conn, _BatchWriter(conn, report, tick) as writer:
        def flush() -> None:
            nonlocal batch
            writer.put(batch)
            batch = []

        for line, row in records:
            if not row:
                continue  # a blank line is not a record
            report.rows += 1
            if len(row) != width:
                report.reject(line, f"expected {width} columns, found {len(row)}: check the quoting of this row")
                continue
            description = clean_text(g["description"](row))
            if not description:
                report.reject(line, "no description: the description column is empty")
                continue
            try:
                created = to_db_text(parse_date(g["created_at"](row))) if has_created else imported_at
            except DateParseError as exc:
                report.reject(line, f"created_at: {exc}; use ISO 8601 (2026-03-10 09:15:00)")
                continue
            resolved_raw = g["resolved_at"](row)
            try:
                resolved = to_db_text(parse_date(resolved_raw)) if resolved_raw else None
            except DateParseError as exc:
                report.reject(line, f"resolved_at: {exc}; use ISO 8601 or leave it empty")
                continue
            phone_raw = g["caller_phone"](row)
            phone, withheld = "", True
            if phone_raw:
                try:
                    parsed = normalise_phone(phone_raw)
                except PhoneError:
                    report.reject(line, f"caller_phone {phone_raw!r} is not a phone number")
                    continue
                phone, withheld = parsed.e164, parsed.withheld
            try:
                lat = float(g["lat"](row)) if g["lat"](row) else None
                lon = float(g["lon"](row)) if g["lon"](row) else None
            except ValueError:
                report.reject(line, "lat/lon must be decimal numbers")
                continue
            address = clean_text(g["address"](row), multiline=False)
            case_id = g["case_id"](row)
            external = case_id or "sha1:" + hashlib.sha1(
                "\x1f".join((created, phone, address, description)).encode()).hexdigest()[:24]
            status_raw = g["status"](row)
            batch.append((
                str(uuid6.uuid7()), case_id or "IMP-" + external[5:13].upper(), external,
                source, created, created, phone, withheld,
                clean_text(g["caller_name"](row), multiline=False),
                clean_text(g["title"](row), multiline=False), description, address,
                clean_text(g["district"](row), multiline=False),
                lookups.category(g["category"](row)), lookups.department(g["department"](row)),
                lookups.status(status_raw) if status_raw else ("resolved" if resolved else "open"),
                resolved, clean_text(g["resolution"](row)), g["satisfaction"](row).strip(),
                lat, lon, "",
            ) + _DEFAULT_VALUES)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        writer.finish()  # every batch committed before the departments are added
        if lookups.new_departments:
            conn.execute("BEGIN IMMEDIATE")
            for dept in lookups.new_departments.values():
                cur = conn.execute(
                    "INSERT OR IGNORE INTO department (code, name_zh, name_en, aliases, parent, "
                    "district, categories, location_kinds, source) VALUES (?,?,?,?,?,?,?,?,?)",
                    (dept.code, dept.name_zh, dept.name_en, json.dumps([dept.name_zh or dept.name_en],
                     ensure_ascii=False), "", "", "[]", "[]", "import"))
                if cur.rowcount:
                    report.departments_added.append(dept.name_zh or dept.name_en)
            conn.execute("COMMIT")
    tick()
    return report
