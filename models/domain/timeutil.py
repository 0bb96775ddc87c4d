"""Time: aware datetimes everywhere, one storage format, tolerant parsing of imported dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache

# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in).
_EXCEL_EPOCH = datetime(1899, 12, 30)
# Day serials between 1954 and 2119: anything else is not a plausible case date.
_EXCEL_MIN, _EXCEL_MAX = 20000.0, 80000.0

_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",  # NYC / LA open data: 03/01/2011 02:27:57 PM
    "%Y/%m/%d %H:%M:%S",  # Chinese portals: 2019/4/25 9:32:09
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
)


def now() -> datetime:
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    """The terminal's zone: used for naive input and for display."""
    return datetime.now().astimezone().tzinfo or UTC


def zone(name: str | None) -> tzinfo:
    if not name:
        return local_zone()
    from zoneinfo import ZoneInfo  # only for a named zone: not on the TUI's start path

    return ZoneInfo(name)


class DateParseError(ValueError):
    pass


class DateParser:
    """Parses the date forms seen in hotline exports; remembers the last format that worked.

    Naive values are taken to be in `tz` (the source system's zone), so that every stored time is
    aware. Speed matters: an import of a million rows calls this a million times.
    """

    def __init__(self, tz: tzinfo | None = None) -> None:
        self.tz = tz or local_zone()
        self._last: str | None = None

    def __call__(self, raw: str) -> datetime:
        text = raw.strip()
        if not text:
            raise DateParseError("empty date")
        dt = self._parse(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        return dt

    def _parse(self, text: str) -> datetime:
        if self._last is not None:
            if self._last == _US_12H and (dt := _us_12h(text)) is not None:
                return dt
            try:
                return datetime.strptime(text, self._last)
            except ValueError:
                pass
        if text[:4].isdigit() and len(text) >= 10 and text[4] == "-":
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                pass
        try:
            serial = float(text)
        except ValueError:
            pass
        else:
            if _EXCEL_MIN <= serial <= _EXCEL_MAX:
                return _EXCEL_EPOCH + timedelta(days=serial)
            raise DateParseError(f"number {text!r} is not an Excel day serial")
        for fmt in _FORMATS:
            try:
                dt = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self._last = fmt
            return dt
        raise DateParseError(f"unrecognised date {text!r}")


_US_12H = _FORMATS[0]
# `_US_12H` in its fixed-width form (03/01/2011 02:27:57 PM), every field in the range strptime
# takes; strptime itself costs 7 µs a call (two dates a row in a million-row 311 file).
_US_12H_RE = re.compile(r"(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/(\d{4}) (0[1-9]|1[0-2]):([0-5]\d):"
                        r"([0-5]\d) (AM|PM)")


def _us_12h(text: str) -> datetime | None:
    """`datetime.strptime(text, _US_12H)` for the fixed-width form (None for anything else, or
    when %p is not AM/PM in this process's locale: the caller then asks strptime)."""
    m = _US_12H_RE.fullmatch(text)
    if m is None or not _c_meridians():
        return None
    month, day, year, hour, minute, second = map(int, m.groups()[:6])
    hour = hour % 12 + (12 if m.group(7) == "PM" else 0)
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None  # (02/30: strptime's error, and the formats after it, are the caller's)


@cache
def _c_meridians() -> bool:
    """Whether strptime's %p reads AM and PM here (the C locale's; Python keeps it unless a
    program sets another)."""
    import time

    return (time.strftime("%p", (2000, 1, 1, 1, 0, 0, 5, 1, 0)),
            time.strftime("%p", (2000, 1, 1, 13, 0, 0, 5, 1, 0))) == ("AM", "PM")


def to_db_text(dt: datetime) -> str:
    """The one storage form on SQLite: UTC, fixed width, so text order is time order."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: every stored time must carry a zone")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_iso(dt: datetime | None) -> str:
    """The export form: ISO 8601 with offset, in the terminal's zone."""
    if dt is None:
        return ""
    return dt.astimezone(local_zone()).isoformat(timespec="seconds")
