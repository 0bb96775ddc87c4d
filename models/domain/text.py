"""Caller text is untrusted: stored without control characters, shown literally."""

from __future__ import annotations

import re

# C0 and C1 controls except TAB and LF; ESC sequences lose their ESC and become inert text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str | None, *, multiline: bool = True) -> str:
    """Normalise line ends, drop control characters, trim; one line unless `multiline`."""
    if not value:
        return ""
    if value.isprintable():  # the common case: one clean line
        return " ".join(value.split()) if not multiline and "  " in value else value.strip()
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
