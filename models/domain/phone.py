"""Caller phone numbers: E.164, any country; a withheld number is allowed.

A number given without its country code (2125550100, 13812345678) is read in the terminal's
region: CN unless the deployment says otherwise (`region` in the settings, HOTLINE_REGION; the
server's `region` setting for what arrives over Open311). A US 311 line sets US: read in CN,
2125550100 is a Shanghai landline, and a callback would dial China.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .region import DEFAULT_REGION, set_region
from .region import region as current_region

__all__ = ["DEFAULT_REGION", "Phone", "PhoneError", "current_region", "normalise_phone",
           "set_region"]

# What agents and phone systems write when the caller's number is not shown.
WITHHELD_WORDS = frozenset(
    {"", "withheld", "anonymous", "private", "unknown", "none", "n/a", "-", "0",
     "隐藏", "未知", "匿名", "无", "保密", "不详"}
)


@dataclass(frozen=True)
class Phone:
    e164: str  # "" when withheld
    withheld: bool

    def display(self) -> str:
        if self.withheld:
            return ""
        import phonenumbers

        num = phonenumbers.parse(self.e164)
        home = phonenumbers.country_code_for_region(current_region())  # (0 for an unknown region)
        fmt = (phonenumbers.PhoneNumberFormat.NATIONAL
               if num.country_code == home else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return phonenumbers.format_number(num, fmt)


class PhoneError(ValueError):
    pass


_CN_MOBILE = re.compile(r"1[3-9]\d{9}")


# Imports see the same callers again and again; 16,384 of them keep the frequent callers of a
# big city's file (a bigger cache was some 10 MB of the import's reading process).
def normalise_phone(raw: str | None, region: str | None = None) -> Phone:
    """`raw` as E.164, read in `region` (default: this process's, `set_region`)."""
    return _normalised(raw, region or current_region())


@lru_cache(maxsize=16_384)
def _normalised(raw: str | None, region: str) -> Phone:
    text = (raw or "").strip()
    if region == "CN" and _CN_MOBILE.fullmatch(text):
        return Phone("+86" + text, False)  # the common case, without the full parser
    if text.lower() in WITHHELD_WORDS:
        return Phone("", True)
    if any(ch.isalpha() for ch in text):
        raise PhoneError("letters")
    import phonenumbers  # (here: setting the region at start must not cost its import)

    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if not text.startswith("+") and region not in phonenumbers.SUPPORTED_REGIONS:
            raise PhoneError("region") from exc  # the settings' fault, not the caller's
        raise PhoneError("unparseable") from exc
    if not phonenumbers.is_possible_number(num):
        raise PhoneError("impossible")
    return Phone(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), False)
