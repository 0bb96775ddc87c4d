"""Named value transforms a mapping file may use (`{extract = "NAME", from = "column"}`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from models.search.normalise import nfkc

# An agency named in an official reply: an optional place prefix, a name, and the suffix a
# Chinese government body carries. Companies, owners' committees and venues are not agencies.
_SUFFIX = re.compile(
    r"人民政府办公室|人民政府|政府办公室|办公室|委员会|街道办事处|街道办|办事处|管理局|分局|局|"
    r"(?:管理|服务|登记|政务|医保|社保|疾控|监测|执法|保障|指挥|征收|救助|信息)中心|"
    r"管理处|管理所|支队|大队|派出所|法院|检察院|镇政府|乡政府|街道|"
    r"(?:发改|卫健|卫计|计生|住建|城建|教|农|管|经信|科|民宗|编)委")
# Places: "A7县", "A市", "K11县", "西地省", or a bare level ("市", "区", "县", "省").
_PLACE = re.compile(r"^(?:[A-Z]\d*(?:县市|[市区县州])|[\u4e00-\u9fa5]{2}省|[省市区县])+")
# Words before a name that are not part of it: verbs, prepositions, pronouns, connectives
# ("根据西地省物价局" → 西地省物价局, "顾问亲自陪客户前往公积金中心" → 公积金中心).
_LEAD_IN = re.compile(
    r".*(?:根据|按照|依照|依据|前往|联系|咨询|致电|来电|反映|举报|投诉|交办|转交|移交|提交|转办|"
    r"转至|转到|报送|报请|上报|会同|协调|联合|配合|督促|要求|建议|通知|通过|同时|以及|并由|"
    r"下一步|目前|已经|还是|但是|属于|关于|由于|如果|或者|其中|负责|牵头|组织|给|通报|当地|辖区|"
    r"所辖|属地|迁入地|转入地|需持|召集|今年|去年|明年|经(?!开区|济)|已|转|原|报|日|"
    r"[我本贵该你您他其此各每这那了着过将把被从由向到往至在于对与及或并为是的、，。；：“”《》（）\(\)])")
# Names that end like an agency but are not one.
_NOT_AGENCY = re.compile(r"(?:布|格|结|层|当|大|全|时|饭|赌|邮|书|药|骗|开|业主|家长|物业|小区|"
                         r"公司|集团|商业|广场|体育中心|问题|情况|工作|部门|单位)(?:委员会|局|中心|"
                         r"办公室|大队|街道|委)?$")
_BAD_CHARS = re.compile(r"[0-9\u4e00-\u9fa5]*[一二三四五六七八九十百千万\d]+[层楼号栋]|"
                        r"[有没不未无请让使得能会要想说看做]")
_TAIL = re.compile(r"[\s\d年月日号时分秒:：.\-/、，。！!]*$")
_NAME_CHARS = re.compile(r"(?:[A-Z]\d{0,2}|[\u4e00-\u9fa5]){1,18}$")
_NAME_SPAN = 18 * 3  # the most characters _NAME_CHARS can match: where its search starts


def _clean(candidate: str) -> str:
    """The agency name at the end of `candidate`, or "" when it is not a government body's."""
    name = _LEAD_IN.sub("", candidate)
    name = name.lstrip("和及与")
    letter = re.search(r"[A-Z]", name)  # an anonymised place ("A7县") starts the name
    if letter:
        name = name[letter.start():]
    place = _PLACE.match(name)
    prefix = place.group(0) if place else ""
    core = name[len(prefix):]
    suffix = _SUFFIX.search(core)
    if not suffix or suffix.start() < 2 and not (prefix and suffix.group(0) in ("人民政府",
                                                                                 "政府办公室")):
        return ""  # "我局", "办公室", "区分局": a name needs at least two characters of its own
    if _NOT_AGENCY.search(core) or _BAD_CHARS.search(core) or len(core) > 16:
        return ""
    # "县县公安局" → "县公安局", "区区教育局" → "区教育局"
    prefix = re.sub(r"([省市区县])\1+", r"\1", prefix)
    return prefix + core


def _candidates(text: str) -> list[tuple[int, str]]:
    out = []
    for match in _SUFFIX.finditer(text):
        end = match.end()
        # The longest suffix wins ("街道办事处", not "街道"): skip a match a longer one continues.
        if _SUFFIX.match(text, end) and text[end:end + 1] not in ("局", "委"):
            continue
        before = _NAME_CHARS.search(text, max(match.start() - _NAME_SPAN, 0), match.start())
        if before is None or before.end() != match.start():
            head = ""
        else:
            head = before.group(0)
        name = _clean(head + match.group(0))
        if name:
            out.append((end, name))
    return out


def agency_from_reply(text: str) -> str:
    """The handling agency a reply names: its signature when it signs with one, else the name
    it gives most often (first on ties); "" when it names no government body."""
    text = "".join(nfkc(text).split())
    found = _candidates(text)
    if not found:
        return ""
    tail = len(_TAIL.sub("", text))
    end, last = found[-1]
    if tail - end <= 2:  # signed: "... A7县教育局 2014年2月26日"
        return last
    names = [name for _, name in found]
    counts = Counter(names)
    best = max(counts.values())
    return next(m for m in names if counts[m] == best)


def strip(text: str) -> str:
    return " ".join(text.split())


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "agency_from_reply": agency_from_reply,
    "strip": strip,
}
