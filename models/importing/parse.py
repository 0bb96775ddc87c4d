"""Reading and checking a CSV file into insert rows, with their search postings: the work of
the import's reading process (`models.importing.reader`), or of the importing process itself for
a small file. Nothing here touches the store: no SQLModel, no SQLAlchemy (the reading process
stays small)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from models.domain.case_shape import CaseRecord
from models.domain.enums import Status
from models.domain.phone import PhoneError, normalise_phone
from models.domain.text import clean_text
from models.domain.timeutil import DateParseError, DateParser, now, to_db_text, zone
from models.search import index as search_index

from .mapping import Mapping, MappingError, detect_mapping, load_mapping

BATCH = 5000
csv.field_size_limit(sys.maxsize)  # a description can be megabytes long


@dataclass
class Rejected:
    line: int
    reason: str


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
    """The mapping's name, then the file's batches, each with its search postings."""
    records = _records(text)
    mapping, get, width = _read_header(records, plan, name)
    yield mapping.name
    rows = _RowChecker(get, width, mapping.name, zone(plan.tz or mapping.tz or None))
    tokenize = search_index.Tokenizer.from_state(plan.index_state)
    while True:
        batch, rejected, read = rows.next_batch(records)
        if not (batch or rejected or read):
            return
        # The batch's search postings are made here, in the reading process when there is one.
        postings = tokenize.columns(*(list(map(itemgetter(k), batch))
                                      for k in (_TITLE, _DESCRIPTION, _ADDRESS))) if batch else None
        yield _Batch(batch, rejected, read, counter.pos, postings)


def _read_header(records: Iterator[tuple[int, list[str]]], plan: _Plan,
                 name: str) -> tuple[Mapping, dict, int]:
    """The header row, the mapping that reads it (given, or detected from the header), its
    compiled column getters, and the row width every record must have."""
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
    return mapping, get, len(header)


class _StatusCodes(dict):
    """A source's status words -> our status codes (unknown words: open), each word parsed
    once."""

    def __missing__(self, raw: str) -> str:
        try:
            code = str(Status.parse(raw, Status.OPEN))
        except ValueError:
            code = str(Status.OPEN)
        self[raw] = code
        return code


class _RowChecker:
    """Checks records into insert rows, a batch at a time; what does not hold is rejected with
    its line and the reason. The per-row loop is all inline (a million rows: no call per row
    beyond the checks themselves)."""

    def __init__(self, get: dict, width: int, mapping_name: str, tz) -> None:
        empty = lambda row: ""  # noqa: E731
        # The column getters, in the order next_batch unpacks them (a missing column reads "").
        self.getters = tuple(get.get(col, empty) for col in (
            "description", "created_at", "resolved_at", "caller_phone", "lat", "lon", "address",
            "case_id", "status", "caller_name", "title", "district", "category", "department",
            "resolution", "satisfaction"))
        self.settings = (width, DateParser(tz), _StatusCodes(), f"import:{mapping_name}",
                         to_db_text(now()), "created_at" in get)

    def next_batch(self, records) -> tuple[list[list], list[Rejected], int]:
        """Up to BATCH insert rows from the next records, the rejected ones, how many read."""
        (g_description, g_created, g_resolved, g_phone, g_lat, g_lon, g_address, g_case_id,
         g_status, g_name, g_title, g_district, g_category, g_department, g_resolution,
         g_satisfaction) = self.getters
        width, parse_date, statuses, source, imported_at, has_created = self.settings
        batch, rejected, read = [], [], 0
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
            phone, withheld = "", True
            if phone_raw := g_phone(row):
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
                "", case_id or "IMP-" + external[5:13].upper(), external, source, created, created,
                phone, withheld, clean_text(g_name(row), multiline=False),
                clean_text(g_title(row), multiline=False), description, address,
                clean_text(g_district(row), multiline=False), g_category(row), g_department(row),
                statuses[status_raw] if status_raw else ("resolved" if resolved else "open"),
                resolved, clean_text(g_resolution(row)), g_satisfaction(row).strip(), lat, lon, "",
                *_DEFAULT_VALUES])
            if len(batch) >= BATCH:
                break
        return batch, rejected, read
