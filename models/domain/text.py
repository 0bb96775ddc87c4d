"""Caller text is untrusted: stored without control characters, shown literally.

`clean_text` is the one function for both ends of that rule: what is stored (the form, imports,
everything that arrives over the wire) and what is shown (every widget and every printing
command passes text through it, so a value stored by an older version or a hostile peer cannot
drive the terminal either).
"""

from __future__ import annotations

import re

# C0 and C1 controls except TAB and LF (ESC sequences lose their ESC and become inert text),
# the bidirectional embeddings, overrides and isolates (which reorder what a reader sees:
# "Trojan source"), and lone surrogates (which no encoder can write).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(value: str | None, *, multiline: bool = True, trim: bool = True) -> str:
    """Normalise line ends, drop control characters, trim; one line unless `multiline`.

    `trim=False` only drops the controls (and normalises line ends), keeping the length of
    clean text: for pieces of a text shown one after another (a snippet's highlighted spans)."""
    if not value:
        return ""
    if not trim:
        if value.isprintable():
            return value
        return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
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


# What JSON leaves raw (ensure_ascii=False keeps non-ASCII readable): DEL, the C1 controls and the
# bidirectional controls. Escaped, they stay in the data and cannot drive a terminal.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_safe(encoded: str) -> str:
    """A JSON document with every character that could drive a terminal written as \\uXXXX."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
