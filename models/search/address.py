"""Address keys: one spelling for one place, however the caller or the source system wrote it.

`address_key` gives a `Place`: the street (or compound) and the house number, normalised so
that 龍蟠中路２８號, 龙蟠中路 28 号, 南京市鼓楼区龙蟠中路28号 and "No.28 龙蟠中路" agree, and so do
"2111 W Bellevue Ave, 90026" and "2111 WEST BELLEVUE AVENUE". Two places are the same address
when street and number agree, and nearby when the street (or compound) agrees and the numbers
are close or one is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .normalise import ABBREVIATIONS, HAN, normalise, word_form

# A road and its number: 龙蟠中路28号, 中山东路 3 号, 汉中门大街100号.
_ROAD = re.compile(rf"([{HAN}a-z0-9]{{1,12}}?(?:大街|大道|胡同|路|街|巷|弄|道))(\d+(?:-\d+)?)?(?:号|$|[^\d])")
# A residential compound and the building in it: 景蓉华苑3栋, 阳光小区2号楼.
_COMPOUND = re.compile(
    rf"([{HAN}a-z0-9]{{2,12}}?(?:小区|花园|花苑|家园|新村|公寓|大厦|广场|社区|宿舍|苑|园|村|城|府|庭|湾))"
    r"(?:(\d+)(?:栋|幢|号楼|座))?")
# Administrative prefixes: 南京市 鼓楼区 江苏省 ... (cut so that a road reads the same without them).
_ADMIN = re.compile(rf"^(?:[{HAN}]{{1,6}}?(?:省|自治区))?(?:[{HAN}a-z0-9]{{1,6}}?市)?(?:[{HAN}a-z0-9]{{1,6}}?(?<![小社园校景街])(?:区|县))?(?:[{HAN}]{{1,6}}?(?:街道|镇|乡))?")
_NUMBER_FORMS = re.compile(r"(?:\bno\.?\s*|#|第)(\d+)")
_ZIP = re.compile(r"[, ]+\d{5}(?:-\d{4})?\s*$")
_UNIT = re.compile(r"\b(?:apt|apartment|unit|fl|floor|suite|ste|rm|room)\b\.?\s*\S+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:-\d+)?")
_HAS_HAN = re.compile(rf"[{HAN}]")
NEARBY_NUMBERS = 50  # house numbers this close on one street count as nearby


@dataclass(frozen=True)
class Place:
    street: str  # road, street or compound name; "" when none was recognised
    number: str  # house (or building) number; "" when none
    key: str  # the whole address, normalised: equal keys are the same address

    def same(self, other: Place) -> bool:
        return bool(self.key) and self.key == other.key

    def near(self, other: Place) -> bool:
        """Same street or compound, numbers close (or one of them unknown)."""
        if not self.street or self.street != other.street:
            return False
        if not self.number or not other.number:
            return True
        try:
            a, b = int(self.number.split("-")[0]), int(other.number.split("-")[0])
        except ValueError:
            return False
        return abs(a - b) <= NEARBY_NUMBERS


EMPTY = Place("", "", "")


@lru_cache(maxsize=32_768)
def address_key(address: str) -> Place:
    text = normalise(address).strip()
    if not text:
        return EMPTY
    if "no" in text or "#" in text or "第" in text:  # (what _NUMBER_FORMS needs, tested cheaply)
        text = _NUMBER_FORMS.sub(r" \1 ", text)
    if _HAS_HAN.search(text):
        return _chinese(text)
    return _latin(text)


def _chinese(text: str) -> Place:
    flat = re.sub(r"[\s,，。.、:：()（）\[\]【】\"'“”]+", "", text)
    flat = _ADMIN.sub("", flat, count=1) or flat
    lead = re.match(r"(\d+)号?(.+)$", flat)  # "No.28 龙蟠中路": the number written first
    if lead and _ROAD.fullmatch(lead.group(2) + "号"):
        flat = f"{lead.group(2)}{lead.group(1)}号"
    road = _ROAD.search(flat)
    if road and road.group(2):
        street = road.group(1)
        return Place(street, road.group(2), f"{street}#{road.group(2)}")
    compound = _COMPOUND.search(flat)
    if compound:
        street, building = compound.group(1), compound.group(2) or ""
        return Place(street, building, f"{street}#{building}" if building else flat)
    if road:
        return Place(road.group(1), "", flat)
    return Place("", "", flat)


def _latin(text: str) -> Place:
    text = _ZIP.sub("", text)
    text = _UNIT.sub(" ", text)
    if " at " in text or "&" in text or " and " in text:  # an intersection: order-free
        parts = re.split(r"\s+(?:at|and)\s+|\s*&\s*", text)
        streets = sorted(" ".join(_words(p)) for p in parts if p.strip())
        key = " & ".join(s for s in streets if s)
        return Place(key, "", key)
    words = _words(text)
    if not words:
        return EMPTY
    number = ""
    if words[0][0].isdigit() and len(words) > 1:
        number, words = words[0], words[1:]
    street = " ".join(words)
    return Place(street, number, f"{number} {street}".strip())


def _words(text: str) -> list[str]:
    return [_word(w) for w in _LATIN_WORD.findall(text)]


@lru_cache(maxsize=65_536)
def _word(w: str) -> str:
    """One word of an address as its key spells it (ST → street, 42nd → 42)."""
    w = ABBREVIATIONS.get(w, w) if len(w) <= 4 else word_form(w)
    return w if not w.endswith(("st", "nd", "rd", "th")) or not w[:-2].isdigit() else w[:-2]
