"""Validation problems: each names its field and a message (`problem.<code>` in the translation
catalogue, `models.domain.strings`) that says what is wrong and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .enums import Labelled
from .i18n import t


@dataclass(frozen=True)
class Problem:
    """One thing to fix: the field it is in, a message code and the message's parameters."""

    field: str
    code: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return t(f"problem.{self.code}", lang,
                 **{k: _in_words(v, lang) for k, v in self.params.items()})


class ValidationFailed(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message("en") for p in problems))
        self.problems = problems

    def messages(self, lang: str = "en") -> list[str]:
        return [p.message(lang) for p in self.problems]


def _in_words(value: object, lang: str) -> object:
    """A vocabulary value (or a list of them) as the reader's language labels it."""
    if isinstance(value, Labelled):
        return value.label(lang)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Labelled) for v in value):
        return ("、" if lang == "zh" else ", ").join(v.label(lang) for v in value)
    return value
