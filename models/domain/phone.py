"""Caller phone numbers: E.164, default region CN, any country; a withheld number is allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "CN"

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
        num = phonenumbers.parse(self.e164)
        fmt = (phonenumbers.PhoneNumberFormat.NATIONAL
               if num.country_code == 86 else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return phonenumbers.format_number(num, fmt)


class PhoneError(ValueError):
    pass


_CN_MOBILE = re.compile(r"1[3-9]\d{9}")


# Imports see the same callers again and again; 16,384 of them keep the frequent callers of a
# big city's file (a bigger cache was some 10 MB of the import's reading process).
@lru_cache(maxsize=16_384)
def normalise_phone(raw: str | None, region: str = DEFAULT_REGION) -> Phone:
    text = (raw or "").strip()
    if region == "CN" and _CN_MOBILE.fullmatch(text):
        return Phone("+86" + text, False)  # the common case, without the full parser
    if text.lower() in WITHHELD_WORDS:
        return Phone("", True)
    if any(ch.isalpha() for ch in text):
        raise PhoneError("letters")
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("unparseable") from exc
    if not phonenumbers.is_possible_number(num):
        raise PhoneError("impossible")
    return Phone(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), False)
