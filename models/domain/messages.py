"""Validation problems: each names its field and a message (`problem.<code>` in the translation
catalogue, `models.domain.strings`) that says what is wrong and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .i18n import t


@dataclass(frozen=True)
class Problem:
    """One thing to fix: the field it is in, a message code and the message's parameters."""

    field: str
    code: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return t(f"problem.{self.code}", lang, **self.params)


class ValidationFailed(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message("en") for p in problems))
        self.problems = problems

    def messages(self, lang: str = "en") -> list[str]:
        return [p.message(lang) for p in self.problems]
