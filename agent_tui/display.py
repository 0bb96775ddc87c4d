"""How stored values are shown: caller text literally, times in the terminal's zone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.text import Text

from models.domain.text import clean_text, json_safe

# One line of a table or a field never shows more than this (a pulled case's description may
# run to megabytes: cleaning and measuring all of it for one cell would stall the screen).
LINE_CHARS = 1_000


def literal(value: str | None, *, one_line: bool = True, style: str = "") -> Text:
    """Caller text as typed: never parsed as markup, no control characters. One line is cut at
    `LINE_CHARS` (long text is shown a page at a time: `agent_tui.widgets.paged_text`)."""
    value = value or ""
    if one_line and len(value) > LINE_CHARS:
        value = value[:LINE_CHARS]
    return Text(clean_text(value, multiline=not one_line), style=style, no_wrap=one_line,
                overflow="ellipsis")


def plain(value: object, *, one_line: bool = True) -> str:
    """A stored value as a string fit for a terminal (for `click.echo` and f-strings)."""
    return clean_text("" if value is None else str(value), multiline=not one_line)


def highlighted(text: str, spans: Iterable[tuple[int, int]], style: str = "bold reverse") -> Text:
    """Caller text with the spans of `text` styled: each piece cleaned on its own, so the spans
    still fall on the characters they marked."""
    out, at = Text(), 0
    for a, b in sorted(spans):
        if a < at:
            continue
        out.append(clean_text(text[at:a], trim=False))
        out.append(clean_text(text[a:b], trim=False), style=style)
        at = b
    out.append(clean_text(text[at:], trim=False))
    return out


def json_text(value: Any) -> str:
    """One JSON document for a terminal or a pipe: readable non-ASCII, no raw control."""
    import json  # the commands' output only: the TUI's first frame does without it

    return json_safe(json.dumps(value, ensure_ascii=False))


def short_time(at: datetime) -> str:
    return at.astimezone().strftime("%m-%d %H:%M")


def full_time(at: datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M") if at else ""


def format_age(seconds: float | None, *, precise: bool = False) -> str:
    """How long something has waited: 45s, 2m (2m05s when `precise`), 1h05m, 3d4h."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s >= 86400:
        return f"{s // 86400}d{s % 86400 // 3600}h"
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s" if precise else f"{s // 60}m"
    return f"{s}s"


def short_status(value: str, lang: str) -> str:
    """A status in at most six cells, a whole word (`status.short.*`), for narrow columns."""
    from models.domain.i18n import t

    try:
        return t(f"status.short.{value}", lang)
    except KeyError:  # a status this version does not know: shown as stored
        return value


# Words a department's English name shares with many others: left out where the name does not
# fit ("Street Office" and "Street Lighting Office" were both "Street…").
_GENERIC = frozenset({"office", "bureau", "administration", "commission", "department", "dept",
                      "center", "centre", "and", "of", "the", "for"})


def clip_name(value: str | None, width: int) -> Text:
    """A department's name in at most `width` cells, told apart from its neighbours: whole if
    it fits; else without its generic words (Street Lighting Office -> Street Lighting); else
    cut where the width ends, inside a word if need be (Street Li…), "…" marking the cut."""
    from rich.cells import cell_len

    text = clean_text(value or "", multiline=False)
    words = text.split()
    if cell_len(text) > width and len(words) > 1:
        text = " ".join([w for w in words if w.lower() not in _GENERIC] or words)
    out = Text(text, no_wrap=True)
    out.truncate(width, overflow="ellipsis")
    if out.plain.endswith(" …"):  # cut just after a word: no space before the mark
        out = Text(out.plain[:-2].rstrip() + "…", no_wrap=True)
    return out


def clip_words(value: str | None, width: int) -> Text:
    """Caller or catalogue text in at most `width` terminal cells, cut between words (a space,
    or between two Chinese characters), never inside an English word; "…" marks the cut."""
    from rich.cells import cell_len

    text = clean_text(value or "", multiline=False)
    if cell_len(text) <= width:
        return Text(text, no_wrap=True)
    out, used, last_break = "", 0, 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        if ch == " " or w == 2:
            last_break = len(out) if ch == " " else len(out) + 1
        out += ch
        used += w
    cut = out[:last_break].rstrip() if last_break else ""
    return Text((cut or out[: max(0, width - 1)]) + "…", no_wrap=True)
