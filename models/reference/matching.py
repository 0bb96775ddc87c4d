"""Matching a department name found in imported data to the catalogue.

A name from a data file ("A市城管局", "市交警支队", "泉塘街道办事处", "Dept of Sanitation") is
matched, in order, by:
1. the whole name: a code, Chinese or English name or alias, ignoring case and spacing;
2. the body's level and place: a prefix such as "A市", "市", "A7县", "A5区", "西地省" is read as
   a place and its level. The catalogue is one city's: a city-level name (市, or none) may match a
   catalogue department with no district by what follows the place ("城管局" is an alias of
   城市管理局); a district's or county's body (区, 县, 镇, 乡) only one whose district is that
   place; a province's or the state's body (省, 国家) none: another body, not ours;
3. fuzzy matching of that rest: the catalogue name or alias it ends with or contains (at least
   three characters: "泉塘街道办事处" ends with 街道办事处), or a close spelling (difflib ratio at
   least `FUZZY`);
4. pinyin: a Latin name spelled as a catalogue name's pinyin or initials ("chengguanju", "cgj").

What does not match is held for a lead (`models.reference.pending`), never added by itself.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from models.domain.bodies import norm as _norm
from models.domain.bodies import parse

FUZZY = 0.86  # difflib ratio for a close spelling of a name or alias
MIN_CONTAINED = 3  # characters of a catalogue name an imported name must contain whole

CITY_LEVEL = ("市", "")
LOCAL_LEVEL = ("区", "县", "镇", "乡")


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese name; ("", "") when pypinyin is missing."""
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:  # pragma: no cover - a declared dependency
        return "", ""
    full = "".join(lazy_pinyin(text))
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))
    return full, initials


@dataclass(frozen=True)
class Match:
    code: str
    how: str  # name | place | contains | fuzzy | pinyin
    score: float = 1.0


def _names(dept: Any) -> list[str]:
    return [_norm(n) for n in (dept.code, dept.name_zh, dept.name_en, *dept.aliases) if n]


def match_department(name: str, departments: Iterable[Any]) -> Match | None:
    """The catalogue department `name` stands for, or None (then a lead decides)."""
    depts = [d for d in departments if getattr(d, "source", "catalogue") != "pending"]
    key = _norm(name)
    if not key:
        return None
    for dept in depts:
        if key in _names(dept):
            return Match(dept.code, "name")
    parsed = parse(name)
    if parsed.level in ("省", "国家"):
        return None  # a province's or the state's body: not one of the city's
    if parsed.level in LOCAL_LEVEL:
        place = parsed.place + parsed.level
        candidates = [d for d in depts if d.district and _norm(d.district) in (place, parsed.place)]
    else:
        candidates = [d for d in depts if not d.district]
    rest = parsed.rest
    if parsed.level:
        for dept in candidates:
            if rest in _names(dept):
                return Match(dept.code, "place")
    best: Match | None = None
    for dept in candidates:
        for n in _names(dept):
            if len(n) >= MIN_CONTAINED and not n.isascii() and (rest.endswith(n)):
                score = len(n) / len(rest)
                if best is None or score > best.score:
                    best = Match(dept.code, "contains", round(score, 3))
            ratio = difflib.SequenceMatcher(None, rest, n).ratio()
            if ratio >= FUZZY and (best is None or ratio > best.score):
                best = Match(dept.code, "fuzzy", round(ratio, 3))
    if best is not None:
        return best
    latin = re.sub(r"[^a-z]", "", key)
    if latin and latin == key.replace(" ", ""):
        for dept in candidates:
            for n in (dept.name_zh, *dept.aliases):
                if n and not n.isascii():
                    full, initials = _pinyin(n)
                    if latin in (full, initials):
                        return Match(dept.code, "pinyin")
    return None


def closest(name: str, departments: Iterable[Any], n: int = 1) -> list[tuple[str, float]]:
    """The catalogue departments most like `name` (for the lead's pending list), best first."""
    rest = parse(name).rest
    scored = []
    for dept in departments:
        ratio = max((difflib.SequenceMatcher(None, rest, x).ratio() for x in _names(dept)),
                    default=0.0)
        scored.append((dept.code, round(ratio, 3)))
    scored.sort(key=lambda p: -p[1])
    return scored[:n]
