"""One translation catalogue: every word a person reads, in English and Simplified Chinese.

`t(key, lang, **params)` reads it. The domain's words (vocabulary labels, validation problems,
the engines' reasons, queue names) are `models.domain.strings`; the interface adds its own with
`add_strings` when it loads (`agent_tui.i18n`). A key names one text in both languages, with the
same placeholders (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .strings import DOMAIN_STRINGS

LANGS = ("en", "zh")

_CATALOGUE: dict[str, tuple[str, str]] = dict(DOMAIN_STRINGS)


def add_strings(table: dict[str, tuple[str, str]]) -> None:
    """Add a package's words; a key already there must mean the same words."""
    for key, pair in table.items():
        if _CATALOGUE.setdefault(key, pair) != pair:
            raise ValueError(f"translation key {key!r} is defined twice with different words")


def t(key: str, lang: str = "en", **params: object) -> str:
    en, zh = _CATALOGUE[key]
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text


def has(key: str) -> bool:
    return key in _CATALOGUE


def catalogue() -> dict[str, tuple[str, str]]:
    """Every key and its words (read-only use: tests, tools)."""
    return dict(_CATALOGUE)


@dataclass(frozen=True)
class Reason:
    """Why an engine shows or suggests something: a catalogue key and its parameters, put into
    words in the reader's language only when shown (`text`). `warning` marks a reason to heed."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    warning: bool = False

    def text(self, lang: str = "en") -> str:
        return t(self.key, lang, **self.params)
