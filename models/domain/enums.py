"""The closed vocabularies of a case. Each value's label, in English and Chinese, is the
translation catalogue's `enum.<Vocabulary>.<value>` (`models.domain.strings`)."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from .i18n import t


class Labelled(StrEnum):
    """A value stored in the database; `label(lang)` is what a person reads."""

    @classmethod
    def labels(cls) -> dict[str, tuple[str, str]]:  # value -> (en, zh), in declaration order
        return {m.value: (m.label("en"), m.label("zh")) for m in cls}

    def label(self, lang: str = "en") -> str:
        return t(f"enum.{type(self).__name__}.{self.value}", lang)

    @classmethod
    def label_for(cls, value: str, lang: str = "en") -> str:
        """The label of a stored value; a value this version does not know is shown as stored."""
        try:
            return cls(value).label(lang)
        except ValueError:
            return value

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {}

    @classmethod
    def default(cls) -> Labelled:
        """The value a new case takes when nobody chose one."""
        raise NotImplementedError

    @classmethod
    @cache  # asked once per pushed event and field: the members never change
    def values(cls) -> frozenset[str]:
        return frozenset(member.value for member in cls)

    @classmethod
    def parse(cls, raw: str | None, default: Labelled | None = None) -> Labelled:
        """Accept the value, either label, or a known alias, case-insensitively."""
        text = (raw or "").strip().lower().replace("-", "_").replace(" ", "_")
        if not text:
            if default is None:
                raise ValueError("empty")
            return default
        for value, (en, zh) in cls.labels().items():
            if text in (value, en.lower().replace(" ", "_"), zh):
                return cls(value)
        aliases = cls.aliases()
        if text in aliases:
            return cls(aliases[text])
        raise ValueError(text)


class LocationKind(Labelled):
    PUBLIC_ROAD = "public_road"
    RESIDENTIAL_COMPOUND = "residential_compound"
    BUSINESS_PREMISES = "business_premises"
    PUBLIC_FACILITY = "public_facility"
    OTHER = "other"

    @classmethod
    def default(cls) -> LocationKind:
        return cls.OTHER



class Urgency(Labelled):
    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"

    @classmethod
    def default(cls) -> Urgency:
        return cls.NORMAL



class Disposition(Labelled):
    DISPATCH = "dispatch"
    ANSWERED = "answered"
    REDIRECT_COURT = "redirect_court"
    REDIRECT_MARKET = "redirect_market"
    REDIRECT_OWNERS = "redirect_owners"

    @classmethod
    def default(cls) -> Disposition:
        return cls.DISPATCH




_STATUS_ALIASES = {
    "new": "open", "pending": "open", "unassigned": "open", "received": "open",
    "受理": "open", "待派单": "open", "assigned": "dispatched", "已派单": "dispatched",
    "started": "in_progress", "open_in_progress": "in_progress", "处理中": "in_progress",
    "办结": "resolved", "已办结": "resolved", "completed": "resolved", "done": "resolved",
    "已答复": "resolved", "cancelled": "closed", "canceled": "closed", "archived": "closed",
    "归档": "closed", "退回": "returned",
}


class Status(Labelled):
    OPEN = "open"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RETURNED = "returned"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @classmethod
    def default(cls) -> Status:
        return cls.OPEN

    @classmethod
    def aliases(cls):
        return _STATUS_ALIASES



    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED)


class EventKind(Labelled):
    CREATED = "created"
    REPEAT_CALL = "repeat_call"
    NOTE = "note"
    DISPATCHED = "dispatched"
    RETURNED = "returned"
    REDISPATCHED = "redispatched"
    RESOLVED = "resolved"
    CALLBACK = "callback"
    SUPERVISED = "supervised"
    REOPENED = "reopened"
    CLOSED = "closed"
    IMPORTED = "imported"
    ACCEPTED = "accepted"
    SENT_BACK = "sent_back"  # a lead's review of a return: back to the same department
    PROGRESS = "progress"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    REMINDED = "reminded"  # 催办: the deadline has passed


class Satisfaction(Labelled):
    """What a caller said on the callback (回访); "" until someone asks."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"非常满意": "satisfied", "dissatisfied": "unsatisfied", "not_satisfied": "unsatisfied"}
