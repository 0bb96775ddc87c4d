"""Routing rules from an editable TOML file, and where a request is (location kind) from its words."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from models.domain.enums import LocationKind
from models.domain.words import STREET_WORDS

RULES_FILE = "rules.toml"


@dataclass(frozen=True)
class Rule:
    category: str
    location_kinds: tuple[str, ...] = ()
    disposition: str = "dispatch"
    lead: str = ""
    co: tuple[str, ...] = ()
    why_zh: str = ""
    why_en: str = ""

    def why(self, lang: str) -> str:
        return self.why_zh if lang == "zh" else self.why_en


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...] = ()
    cues: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def for_category(self, chain: list[str], location_kind: str) -> Rule | None:
        """The most specific rule for a category (nearest in its parent chain) and place."""
        for code in chain:
            fitting = [r for r in self.rules if r.category == code
                       and (not r.location_kinds or location_kind in r.location_kinds)]
            if fitting:
                return max(fitting, key=lambda r: len(r.location_kinds) > 0)
        return None

    def location_kind(self, *texts: str) -> tuple[str, str]:
        """(kind, the cue that decided it); ("other", "") when no cue is found. A cue that is
        the start of a road's name (花园路 3号, 45 Park Ave) is no cue of its own kind: the
        road's cue decides."""
        folded = unicodedata.normalize("NFKC", " ".join(texts)).lower()
        for kind, words in self.cues:
            road = kind == LocationKind.PUBLIC_ROAD
            for word in words:
                if _contains(folded, word, road):
                    return kind, word
        return str(LocationKind.OTHER), ""


# What follows a word when it names a road: 花园路3号, 公园东路, 车站路口, 学校路上; Park Ave,
# School Street (the street types: `models.domain.words`). (广场路灯, the square's street
# lights, is the square: 灯 is no road's.)
_CN_ROAD_NAME = r"(?:[东西南北中]?(?:大街|大道|路|街|巷))(?=[\d号口上与和，,。\s]|$)"
_EN_ROAD_NAME = rf"\s+(?:{'|'.join(sorted(STREET_WORDS))})\b"


@lru_cache(maxsize=512)
def _cue_pattern(word: str, road: bool) -> re.Pattern:
    if word.isascii():
        pattern = rf"\b{re.escape(word)}\b" + ("" if road else f"(?!{_EN_ROAD_NAME})")
    else:
        pattern = re.escape(word) + ("" if road else f"(?!{_CN_ROAD_NAME})")
    return re.compile(pattern)


def _contains(text: str, word: str, road: bool = False) -> bool:
    return _cue_pattern(word, road).search(text) is not None


def read_rules(path: Path | None = None) -> Rules:
    if path is None:
        raw = resources.files("models.routing").joinpath(RULES_FILE).read_text("utf-8")
    else:
        raw = Path(path).read_text("utf-8")
    data = tomllib.loads(raw)
    rules = tuple(
        Rule(category=r["category"], location_kinds=tuple(r.get("location_kinds", ())),
             disposition=r.get("disposition", "dispatch"), lead=r.get("lead", ""),
             co=tuple(r.get("co", ())), why_zh=r.get("why_zh", ""), why_en=r.get("why_en", ""))
        for r in data.get("rule", []))
    cues = tuple((kind, tuple(words)) for kind, words in data.get("location_cues", {}).items())
    return Rules(rules, cues)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return read_rules()
