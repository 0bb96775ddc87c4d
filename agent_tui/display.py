"""How stored values are shown: caller text literally, times in the terminal's zone."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from models.domain.text import clean_text


def literal(value: str | None, *, one_line: bool = True) -> Text:
    """Caller text as typed: never parsed as markup, no control characters."""
    return Text(clean_text(value or "", multiline=not one_line), no_wrap=one_line, overflow="ellipsis")


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
