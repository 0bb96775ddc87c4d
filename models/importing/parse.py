"""Reading and checking a CSV file into insert rows, with their search postings: the work of
the import's reading process (`models.importing.reader`), or of the importing process itself for
a small file. Nothing here touches the store: no SQLModel, no SQLAlchemy (the reading process
stays small)."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from models.domain.case_shape import CaseRecord
from models.domain.enums import Status
from models.domain.ids import new_ids
from models.domain.phone import PhoneError, normalise_phone
from models.domain.text import clean_text
from models.domain.timeutil import DateParseError, DateParser, now, to_db_text, zone
from models.search import index as search_index

from .mapping import Mapping, MappingError, detect_mapping, load_mapping

# Rows a batch: each of a big import's three processes holds a batch or two, and 2,500 keep
# their sum under 300 MB at 1,000,000 rows (5,000: 30 MB more, no faster).
BATCH = 2500
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


def _sql_literal(value) -> str:
    """One of the shape's own defaults as SQL (never caller text: that is always bound)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(int(value)) if isinstance(value, bool) else repr(value)
    return "'" + str(value).replace("'", "''") + "'"


# Positions in an insert row of the values this process resolves (the parser leaves the source's
# words there): the catalogue's lookups stay with the store.
_CATEGORY, _DEPARTMENT = _COLUMNS.index("category"), _COLUMNS.index("lead_department")
_TITLE, _DESCRIPTION, _ADDRESS = (_COLUMNS.index(c) for c in ("title", "description", "address"))


def _db_time(dt: datetime) -> str:
    """`to_db_text`, faster: a million rows call it twice each."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass
class _Batch:
    rows: list[list]
    rejected: list[Rejected]
    rows_read: int  # records read for this batch (imported or not)
    pos: int  # bytes of the file read so far
    postings: search_index.Postings | None = None  # the rows' search postings, by place


@dataclass
class _Plan:
    """What the parser needs, picklable for the reading process."""

    path: str
    encoding: str
    mapping: Mapping | str | None
    tz: str | None
    index_state: dict[str, float] = field(default_factory=dict)  # BM25F's running lengths
    phone_region: str = ""  # numbers without a country code ("": the process's, `phone.region`)


def _records(text: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(text)
    next_start = 1
    for row in reader:
        start, next_start = next_start, reader.line_num + 1
        yield start, row


def _parse(plan: _Plan, tokenise: bool = True) -> Iterator[str | _Batch]:
    """The file's rows, checked, in batches of BATCH insert rows (lists, the category and
    department as the source wrote them), each with its search postings unless not `tokenise`
    (a big import's third process makes them from `batch_texts`). First yields the mapping's
    name."""
    name = Path(plan.path).name
    with open(plan.path, "rb") as raw_file:
        counter = _CountingReader(raw_file)
        text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 20), encoding=plan.encoding,
                                newline="")
        try:
            yield from _parse_stream(text, plan, name, counter, tokenise)
        except UnicodeDecodeError as exc:
            line, at = _undecodable(plan.path, plan.encoding)
            raise ImportError_(
                f"{name} is not {plan.encoding.replace('-sig', '')} text at line {line:,} (byte "
                f"{at:,} of the file): save it as UTF-8, or give its encoding with --encoding "
                "(e.g. gb18030). Rows before it may be imported already: importing the mended "
                "file adds only the rest") from exc


def _undecodable(path: str, encoding: str) -> tuple[int, int]:
    """The line and the file's byte offset where `encoding` first fails to decode (the error
    the text reader raises counts bytes from the start of its read-ahead chunk, not the file:
    this reads the file again, line by line, only when the import has already stopped)."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(path, "rb") as f:
        for line, raw in enumerate(f, 1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as exc:
                return line, offset + max(exc.start, 0)
            offset += len(raw)
    return line if offset else 1, offset


def _parse_stream(text, plan: _Plan, name: str, counter,
                  tokenise: bool) -> Iterator[str | _Batch]:
    """The mapping's name, then the file's batches, each with its search postings if
    `tokenise`."""
    records = _records(text)
    mapping, get, width = _read_header(records, plan, name)
    yield mapping.name
    rows = _RowChecker(get, width, mapping.name, zone(plan.tz or mapping.tz or None))
    tokenize = search_index.Tokenizer.from_state(plan.index_state)
    while True:
        with gc_paused():
            batch, rejected, read = rows.next_batch(records)
            if not (batch or rejected or read):
                return
            # The batch's search postings, made here when this process does it all.
            postings = tokenize.columns(*batch_texts(batch)) if batch and tokenise else None
        yield _Batch(batch, rejected, read, counter.pos, postings)


def batch_texts(rows: list[list]) -> tuple[list[str], list[str], list[str]]:
    """What a batch's postings are made of: its titles, descriptions and addresses."""
    return tuple(list(map(itemgetter(k), rows)) for k in (_TITLE, _DESCRIPTION, _ADDRESS))


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while batches are made (here) or written (the
    importing process): a batch makes some 200,000 objects that all live until it is sent or
    written, and the collector, run every 700 of them, went over them again and again (a third
    of the reading process's CPU, a tenth of the importing one's). Cycles made meanwhile (few)
    are collected once it is back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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


class _DbTimes(dict):
    """A source's date texts -> the stored form (`_db_time`), each distinct text parsed once
    (dates repeat: a day's calls, a batch's resolutions); a text that is no date gives its
    DateParseError. The parse is a function of the text alone (`DateParser`'s formats exclude
    each other), so a cached value is the one a fresh parse would give."""

    KEEP = 16_384  # distinct texts kept before the cache starts over (about 2 MB)

    def __init__(self, parse: DateParser) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, raw: str) -> str | DateParseError:
        try:
            value = _db_time(self.parse(raw))
        except DateParseError as exc:
            value = exc.with_traceback(None)  # (kept: no cycle through this frame)
        if len(self) >= self.KEEP:
            self.clear()
        self[raw] = value
        return value


# The columns a checker reads, in the order of `_RowChecker.getters`.
_READ = ("description", "created_at", "resolved_at", "caller_phone", "lat", "lon", "address",
         "case_id", "status", "caller_name", "title", "district", "category", "department",
         "resolution", "satisfaction")


class _RowChecker:
    """Checks records into insert rows, a batch at a time; what does not hold is rejected with
    its line and the reason (the first check it fails, in the order of `_check`). The work is
    done a column at a time (a column's values mapped through one function: no Python loop
    per row for most of it); the records read per batch are those a row-by-row loop would
    read (up to the BATCH-th good row), so the progress and the counts stay the same."""

    def __init__(self, get: dict, width: int, mapping_name: str, tz) -> None:
        self.getters = tuple(get.get(col) for col in _READ)  # None: the file lacks it ("")
        self.width = width
        self.times = _DbTimes(DateParser(tz))
        self.statuses = _StatusCodes()
        self.source = f"import:{mapping_name}"
        self.imported_at = to_db_text(now())
        self.has_created = "created_at" in get

    def next_batch(self, records) -> tuple[list[list], list[Rejected], int]:
        """Up to BATCH insert rows from the next records, the rejected ones, how many read."""
        batch, rejected, read = [], [], 0
        nonblank = filter(itemgetter(1), records)  # a blank line is not a record
        while len(batch) < BATCH:
            taken = list(islice(nonblank, BATCH - len(batch)))
            if not taken:
                break
            read += len(taken)
            lines, rows = zip(*taken, strict=True)
            self._check(lines, rows, batch, rejected)
        return batch, rejected, read

    def _values(self, rows, reasons: list) -> list[list[str]]:
        """Each column's values (stripped, as the mapping's getter gives them); a row of the
        wrong width is rejected and read as empty."""
        n, width = len(rows), self.width
        if any(len(r) != width for r in rows):
            for i, r in enumerate(rows):
                if len(r) != width:
                    reasons[i] = (f"expected {width} columns, found {len(r)}: "
                                  "check the quoting of this row")
            rows = [r if len(r) == width else [""] * width for r in rows]
        columns = list(zip(*rows, strict=True))
        out = []
        for g in self.getters:
            if g is None:
                out.append([""] * n)
            elif hasattr(g, "index"):
                out.append(list(map(str.strip, columns[g.index])))
            else:
                out.append(list(map(g, rows)))
        return out

    def _check(self, lines, rows, batch: list[list], rejected: list[Rejected]) -> None:
        """Check one run of records: its good rows onto `batch`, the others onto `rejected`,
        in the order of the records."""
        n = len(rows)
        reasons: list[str | None] = [None] * n
        (description, created, resolved, phone_raw, lat_raw, lon_raw, address, case_id, status,
         name, title, district, category, department, resolution,
         satisfaction) = self._values(rows, reasons)
        description = list(map(clean_text, description))
        _fail(reasons, [not d for d in description],
              lambda i: "no description: the description column is empty")
        if self.has_created:
            created = list(map(self.times.__getitem__, created))
        else:
            created = [self.imported_at] * n
        _fail(reasons, [c.__class__ is not str for c in created],
              lambda i: f"created_at: {created[i]}; use ISO 8601 (2026-03-10 09:15:00)")
        times = self.times
        resolved = [times[r] if r else None for r in resolved] if any(resolved) else [None] * n
        _fail(reasons, [r is not None and r.__class__ is not str for r in resolved],
              lambda i: f"resolved_at: {resolved[i]}; use ISO 8601 or leave it empty")
        phone, withheld = _phones(phone_raw, reasons)
        lat, lon = _coordinates(lat_raw, lon_raw, reasons)
        address = [clean_text(a, multiline=False) for a in address]
        external = [c or ("" if bad else "sha1:" + hashlib.sha1(
            "\x1f".join(k).encode()).hexdigest()[:24])  # (a rejected row may have no date)
            for c, bad, *k in zip(case_id, reasons, created, phone, address, description,
                                  strict=True)]
        statuses = self.statuses
        status = [statuses[s] if s else ("resolved" if r else "open")
                  for s, r in zip(status, resolved, strict=True)]
        built = map(list, zip(  # ids made here: the importing process has the store's work
            new_ids(n), [c or "IMP-" + e[5:13].upper() for c, e in zip(case_id, external,
                                                                       strict=True)],
            external, repeat(self.source), created, created, phone, withheld,
            *([clean_text(v, multiline=False) for v in col] for col in (name, title)),
            description, address, [clean_text(v, multiline=False) for v in district], category,
            department, status, resolved, list(map(clean_text, resolution)),
            list(map(str.strip, satisfaction)), lat, lon, repeat("")))
        if not any(reasons):
            batch.extend(built)
            return
        for line, reason, row in zip(lines, reasons, built, strict=True):
            if reason is None:
                batch.append(row)
            else:
                rejected.append(Rejected(line, reason))


def _fail(reasons: list, failed: list[bool], reason) -> None:
    """Give `reason(i)` to each row i that fails a check and has not failed an earlier one."""
    if any(failed):
        for i, bad in enumerate(failed):
            if bad and reasons[i] is None:
                reasons[i] = reason(i)


def _phones(raws: list[str], reasons: list) -> tuple[list[str], list[bool]]:
    """Callers' numbers (E.164, "" when none) and whether each was withheld."""
    n = len(raws)
    if not any(raws):
        return [""] * n, [True] * n
    phone, withheld = [""] * n, [True] * n
    for i, raw in enumerate(raws):
        if raw:
            try:
                parsed = normalise_phone(raw)
            except PhoneError:
                if reasons[i] is None:
                    reasons[i] = f"caller_phone {raw!r} is not a phone number"
                continue
            phone[i], withheld[i] = parsed.e164, parsed.withheld
    return phone, withheld


def _coordinates(lats: list[str], lons: list[str], reasons: list) -> tuple[list, list]:
    """Latitudes and longitudes as floats (None when empty)."""
    n = len(lats)
    if not any(lats) and not any(lons):
        return [None] * n, [None] * n
    lat, lon = [None] * n, [None] * n
    for i, (a, b) in enumerate(zip(lats, lons, strict=True)):
        try:
            lat[i] = float(a) if a else None
            lon[i] = float(b) if b else None
        except ValueError:
            if reasons[i] is None:
                reasons[i] = "lat/lon must be decimal numbers"
    return lat, lon
