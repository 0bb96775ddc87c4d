"""A public body's name read as place, level and kind: "A7县教育局" is the 县 of A7, and its
kind is 教育局. One rule, used where an imported name is matched to the catalogue
(`models.reference.matching`) and where a caller's words name a department (`models.routing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLACE = re.compile(r"^(?P<place>(?:[A-Za-z]\d*|[\u4e00-\u9fff]{2})?)(?P<level>省|市|区|县|镇|乡)"
                    r"(?P<rest>.{2,})$")
_STATE = ("国家", "国务院", "中央", "全国")


@dataclass(frozen=True)
class Parsed:
    place: str  # "A7" of A7县; "" for a bare level ("市教育局")
    level: str  # 省 市 区 县 镇 乡, 国家, or "" when the name has no place
    rest: str  # the body's kind: 教育局


def norm(text: str) -> str:
    """Lowercased, with runs of whitespace as one space."""
    return " ".join(text.strip().lower().split())


def parse(name: str) -> Parsed:
    text = norm(name)
    if text.startswith(_STATE):
        return Parsed("", "国家", text)
    parsed = Parsed("", "", text)
    while True:  # "A市高新区教育局": the innermost place counts (a district's body)
        m = _PLACE.match(parsed.rest)
        if m is None or (parsed.level and not m.group("place")):
            return parsed  # after a place, a bare 市 is a word (A8县市场监督管理局), not a place
        parsed = Parsed(m.group("place"), m.group("level"), m.group("rest"))
