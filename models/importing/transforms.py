"""Named value transforms a mapping file may use (`{extract = "NAME", from = "column"}`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

# An agency named in an official reply: an optional place prefix, then a body ending in one of
# the suffixes Chinese government bodies carry.
_AGENCY = re.compile(
    r"((?:[A-Z]\d*[市区县]|市|区|县)?[\u4e00-\u9fa5]{2,12}?"
    r"(?:委员会|管理局|局|街道办事处|街道|管理处|管理中心|中心|支队|大队|集团|公司|办公室))"
)
_NOT_AGENCY = ("有限公司", "物业公司", "开发公司", "房地产", "中心城区", "市中心", "购物中心")


# Words that end the run of characters before an agency's name ("已转市人社局" → 市人社局).
_LEAD_IN = re.compile(r".*(?:转交|移交|提交|委托|[我本贵该转与对经由的日已请您向到及至为是、，])")


def _agency_name(match: str) -> str:
    name = _LEAD_IN.sub("", match)
    if len(name) < 3 or any(w in name for w in _NOT_AGENCY):
        return ""
    return name


def agency_from_reply(text: str) -> str:
    """The handling agency a reply names most often (first on ties); "" when it names none."""
    found = [n for n in map(_agency_name, _AGENCY.findall(text)) if n]
    if not found:
        return ""
    counts = Counter(found)
    best = max(counts.values())
    return next(m for m in found if counts[m] == best)


def strip(text: str) -> str:
    return " ".join(text.split())


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "agency_from_reply": agency_from_reply,
    "strip": strip,
}
