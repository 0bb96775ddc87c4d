"""What the agent typed, before any rule is applied (light: the intake form imports it at start)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CaseDraft:
    """What the agent typed, as typed: every field a string, nothing resolved yet."""

    caller_phone: str = ""
    caller_name: str = ""
    description: str = ""
    address: str = ""
    location_kind: str = "other"
    category: str = ""
    urgency: str = "normal"
    disposition: str = "dispatch"
    lead_department: str = ""
    co_departments: list[str] = field(default_factory=list)
    notes: str = ""
    district: str = ""
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseDraft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def is_blank(draft: CaseDraft) -> bool:
    """Nothing typed yet (choices left at their defaults do not count)."""
    return not any((draft.caller_phone.strip(), draft.caller_name.strip(), draft.description.strip(),
                    draft.address.strip(), draft.notes.strip(), draft.lead_department.strip(),
                    *[d.strip() for d in draft.co_departments]))
