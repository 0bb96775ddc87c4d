"""Validation messages in both languages: each says what is wrong and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field

MESSAGES: dict[str, tuple[str, str]] = {  # code -> (en, zh); {placeholders} from Problem.params
    "description.required": (
        "Describe the request: the description is empty.",
        "请填写诉求内容：描述不能为空。"),
    "description.too_long": (
        "The description is {length} characters; shorten it to at most {limit}.",
        "描述有 {length} 个字符，请缩短到 {limit} 个以内。"),
    "phone.letters": (
        "The phone number contains letters; type digits only (or leave it empty if withheld).",
        "电话号码含有字母，请只输入数字（号码隐藏时留空）。"),
    "phone.unparseable": (
        "“{value}” is not a phone number; type the caller's number, e.g. 13812345678 or +1 212 555 0100.",
        "“{value}”不是电话号码，请输入来电号码，例如 13812345678 或 +1 212 555 0100。"),
    "phone.impossible": (
        "“{value}” has the wrong number of digits for a phone number; check it with the caller.",
        "“{value}”位数不对，请与来电人核对号码。"),
    "address.required": (
        "Give the address: a case sent to a department needs the place to go.",
        "请填写地址：派单的工单必须写明地点。"),
    "department.required": (
        "Choose the lead department: a dispatched case needs one.",
        "请选择主办单位：派单的工单必须有主办单位。"),
    "department.unknown": (
        "No department “{value}”; pick one from the list (type a name, alias or pinyin initials).",
        "没有“{value}”这个单位，请从列表中选择（可输入名称、简称或拼音首字母）。"),
    "department.duplicate": (
        "“{value}” is already the lead department; remove it from the co-handling list.",
        "“{value}”已是主办单位，请从协办单位中去掉。"),
    "category.unknown": (
        "No category “{value}”; pick one from the list.",
        "没有“{value}”这个类别，请从列表中选择。"),
    "location_kind.unknown": (
        "“{value}” is not a location kind; choose public road, residential compound, business premises, public facility or other.",
        "“{value}”不是地点类型，请选择市政道路、居民小区、经营场所、公共设施或其他。"),
    "urgency.unknown": (
        "“{value}” is not an urgency; choose normal, urgent or critical.",
        "“{value}”不是紧急程度，请选择一般、紧急或特急。"),
    "disposition.unknown": (
        "“{value}” is not a disposition; choose dispatch, answered directly, or a redirect.",
        "“{value}”不是处理方式，请选择派单、直接答复或引导。"),
    "note.required": (
        "The note is empty; type what happened before saving it.",
        "备注为空，请先写下情况再保存。"),
    "name.too_long": (
        "The caller's name is {length} characters; shorten it to at most {limit}.",
        "来电人姓名有 {length} 个字符，请缩短到 {limit} 个以内。"),
}

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "caller_phone": ("Phone", "来电号码"),
    "caller_name": ("Name", "姓名"),
    "description": ("Description", "诉求内容"),
    "address": ("Address", "地址"),
    "location_kind": ("Location kind", "地点类型"),
    "category": ("Category", "类别"),
    "urgency": ("Urgency", "紧急程度"),
    "disposition": ("Disposition", "处理方式"),
    "lead_department": ("Department", "承办单位"),
    "co_departments": ("Co-handling", "协办单位"),
    "notes": ("Notes", "备注"),
}


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        en, zh = MESSAGES[self.code]
        return (zh if lang == "zh" else en).format(**self.params)


class ValidationFailed(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message("en") for p in problems))
        self.problems = problems

    def messages(self, lang: str = "en") -> list[str]:
        return [p.message(lang) for p in self.problems]
