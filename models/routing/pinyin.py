"""Finding a department by what an agent types: Chinese, English, an alias, or pinyin initials.

`cgj` finds 城管局 (an alias of 城市管理局), `jd` 街道办事处, `shichang` 市场监督管理局, `dot`
the imported DOT. Keys are worked out once per department and cached.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol


class DepartmentLike(Protocol):
    code: str
    name_zh: str
    name_en: str
    aliases: list[str]


@dataclass(frozen=True)
class DepartmentMatch:
    code: str
    score: int
    matched: str  # the name, alias or pinyin that matched


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


@lru_cache(maxsize=8192)
def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a Chinese name; ("", "") when it has no Chinese."""
    if not any("\u3400" <= ch <= "\u9fff" for ch in name):
        return "", ""
    from pypinyin import Style, lazy_pinyin

    initials = "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore") if p)
    full = "".join(lazy_pinyin(name, errors="ignore"))
    return initials.lower(), full.lower()


def _keys(dept: DepartmentLike) -> list[tuple[str, str, int]]:
    """(key, shown as, base score) for every way of naming a department."""
    keys: list[tuple[str, str, int]] = []
    for name in (dept.name_zh, dept.name_en, *dept.aliases):
        if not name:
            continue
        keys.append((_fold(name), name, 100))
        initials, full = pinyin_keys(name)
        if initials:
            keys.append((initials, name, 90))
            keys.append((full, name, 80))
    if not dept.code.startswith("imp:"):
        keys.append((dept.code.lower(), dept.code, 60))
    return keys


def match_departments(departments: Iterable[DepartmentLike], query: str,
                      limit: int | None = None) -> list[DepartmentMatch]:
    """Departments that match `query`, best first; all of them (in order) for an empty query."""
    q = _fold(query).replace(" ", "")
    out: list[DepartmentMatch] = []
    for order, dept in enumerate(departments):
        if not q:
            out.append(DepartmentMatch(dept.code, -order, ""))
            continue
        best: DepartmentMatch | None = None
        for key, shown, base in _keys(dept):
            compact = key.replace(" ", "")
            if compact == q:
                score = base + 20
            elif compact.startswith(q):
                score = base + 10
            elif q in compact:
                score = base - 20
            else:
                continue
            if best is None or score > best.score:
                best = DepartmentMatch(dept.code, score, shown)
        if best is not None:
            out.append(best)
    out.sort(key=lambda m: -m.score)
    return out[:limit] if limit else out
