"""How stored values are shown: caller text literally, times in the terminal's zone."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from models.text import clean_text


def literal(value: str | None, *, one_line: bool = True) -> Text:
    """Caller text as typed: never parsed as markup, no control characters."""
    return Text(clean_text(value or "", multiline=not one_line), no_wrap=one_line, overflow="ellipsis")


def short_time(at: datetime) -> str:
    return at.astimezone().strftime("%m-%d %H:%M")


def full_time(at: datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M") if at else ""
