"""The closed vocabularies of a case, each value with its Chinese and English label."""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A value stored in the database; `label(lang)` is what a person reads."""

    @classmethod
    def labels(cls) -> dict[str, tuple[str, str]]:  # value -> (en, zh)
        raise NotImplementedError

    def label(self, lang: str = "en") -> str:
        en, zh = self.labels()[self.value]
        return zh if lang == "zh" else en

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
    def labels(cls):
        return {
            "public_road": ("Public road", "市政道路"),
            "residential_compound": ("Residential compound", "居民小区"),
            "business_premises": ("Business premises", "经营场所"),
            "public_facility": ("Public facility", "公共设施"),
            "other": ("Other", "其他"),
        }


class Urgency(Labelled):
    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"

    @classmethod
    def labels(cls):
        return {
            "normal": ("Normal", "一般"),
            "urgent": ("Urgent", "紧急"),
            "critical": ("Critical", "特急"),
        }


class Disposition(Labelled):
    DISPATCH = "dispatch"
    ANSWERED = "answered"
    REDIRECT_COURT = "redirect_court"
    REDIRECT_MARKET = "redirect_market"
    REDIRECT_OWNERS = "redirect_owners"

    @classmethod
    def labels(cls):
        return {
            "dispatch": ("Dispatch", "派单"),
            "answered": ("Answered directly", "直接答复"),
            "redirect_court": ("Redirected to courts", "引导司法途径"),
            "redirect_market": ("Redirected to market regulator", "引导市场途径"),
            "redirect_owners": ("Redirected to owners' self-governance", "引导业主自治"),
        }

    @property
    def dispatches(self) -> bool:
        return self is Disposition.DISPATCH


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
    def aliases(cls):
        return _STATUS_ALIASES


    @classmethod
    def labels(cls):
        return {
            "open": ("Open", "待派单"),
            "dispatched": ("Dispatched", "已派单"),
            "in_progress": ("In progress", "办理中"),
            "returned": ("Returned", "已退单"),
            "resolved": ("Resolved", "已办结"),
            "closed": ("Closed", "已结案"),
        }

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

    @classmethod
    def labels(cls):
        return {
            "created": ("Created", "受理"),
            "repeat_call": ("Repeat call", "重复来电"),
            "note": ("Note", "备注"),
            "dispatched": ("Dispatched", "派单"),
            "returned": ("Returned", "退单"),
            "redispatched": ("Re-dispatched", "改派"),
            "resolved": ("Resolved", "办结"),
            "callback": ("Callback", "回访"),
            "supervised": ("Supervised", "督办"),
            "reopened": ("Reopened", "重新办理"),
            "closed": ("Closed", "结案"),
            "imported": ("Imported", "导入"),
        }
