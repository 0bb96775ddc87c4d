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
        """(kind, the cue that decided it); ("other", "") when no cue is found."""
        folded = unicodedata.normalize("NFKC", " ".join(texts)).lower()
        for kind, words in self.cues:
            for word in words:
                if _contains(folded, word):
                    return kind, word
        return str(LocationKind.OTHER), ""


def _contains(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}\b", text) is not None
    return word in text


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
