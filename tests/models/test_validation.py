"""The intake rules: every problem reported at once, in both languages, nothing saved."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from models.cases import file_case, timeline
from models.domain.case_shape import CaseDraft
from models.domain.messages import ValidationFailed
from models.store.tables import Case


def hornet(**over) -> CaseDraft:
    base = dict(caller_phone="138 1234 5678", caller_name="王女士",
                description="大杨村28号路边梧桐树上有一个马蜂窝", address="大杨村28号",
                location_kind="public_road", category="马蜂窝", lead_department="街道",
                co_departments=["交警", "消防"], urgency="urgent")
    base.update(over)
    return CaseDraft(**base)


def count(store) -> int:
    with store.session() as s:
        return s.exec(select(func.count()).select_from(Case)).one()


def test_valid_case_is_saved_with_resolved_fields(store):
    case = file_case(store, hornet(notes="树很高"), "a01")
    with store.session() as s:
        saved = s.get(Case, case.id)
    assert saved.caller_phone == "+8613812345678"
    assert saved.category == "hornet_nest"
    assert saved.lead_department == "street_office"
    assert saved.co_departments == ["traffic_police", "fire_brigade"]
    assert saved.status == "dispatched"
    assert saved.case_no.startswith("T01-")
    assert saved.due_at is not None and saved.due_at > saved.created_at
    assert [e.kind for e in timeline(store, case.id)] == ["created", "note"]


def test_every_problem_is_reported_and_nothing_saved(store):
    with pytest.raises(ValidationFailed) as err:
        file_case(store, CaseDraft(caller_phone="call me", description="  ", address=""), "a01")
    fields = {p.field for p in err.value.problems}
    assert fields == {"description", "caller_phone"}
    zh = err.value.messages("zh")
    assert any("描述不能为空" in m for m in zh)
    assert count(store) == 0


def test_a_dispatch_needs_the_address_and_a_lead_department(store):
    with pytest.raises(ValidationFailed) as err:
        file_case(store, hornet(address="", lead_department="", co_departments=["交警"]), "a01")
    assert {p.field for p in err.value.problems} == {"address", "lead_department"}
    assert count(store) == 0


def test_a_case_with_no_department_is_filed_open_awaiting_dispatch(store):
    case = file_case(store, hornet(lead_department="", co_departments=[], address=""), "a01")
    with store.session() as s:
        saved = s.get(Case, case.id)
    assert saved.status == "open" and saved.lead_department == "" and saved.due_at is None


@pytest.mark.parametrize("field,value,code", [
    ("category", "火星移民", "category.unknown"),
    ("lead_department", "魔法部", "department.unknown"),
    ("location_kind", "moon", "location_kind.unknown"),
    ("urgency", "whenever", "urgency.unknown"),
    ("disposition", "ignore", "disposition.unknown"),
    ("caller_phone", "12", "phone.impossible"),
    ("description", "x" * 20_001, "description.too_long"),
])
def test_bad_field_names_the_field_and_the_fix(store, field, value, code):
    with pytest.raises(ValidationFailed) as err:
        file_case(store, hornet(**{field: value}), "a01")
    assert [p.code for p in err.value.problems] == [code]
    assert err.value.problems[0].field == field
    assert count(store) == 0


def test_lead_department_cannot_also_co_handle(store):
    with pytest.raises(ValidationFailed) as err:
        file_case(store, hornet(co_departments=["街道办"]), "a01")
    assert err.value.problems[0].code == "department.duplicate"


def test_withheld_number_is_allowed_and_marked(store):
    case = file_case(store, hornet(caller_phone="", caller_name=""), "a01")
    assert case.caller_withheld and case.caller_phone == ""


def test_answered_directly_needs_no_address_or_department(store):
    case = file_case(store, CaseDraft(description="咨询公积金提取政策", disposition="answered"), "a01")
    assert case.status == "closed" and case.due_at is None


def test_foreign_numbers_are_accepted():
    from models.domain.phone import normalise_phone

    assert normalise_phone("+1 212-555-0100").e164 == "+12125550100"
    assert normalise_phone("025-8888 1234").e164 == "+862588881234"
    assert normalise_phone("隐藏").withheld


def test_numbers_without_a_country_code_are_read_in_the_terminals_region(store):
    """CN by default; a US 311 line sets US (read in CN, 2125550100 was a Shanghai landline and
    a callback would dial China). Shown nationally at home, internationally otherwise; a region
    phone numbers do not know is the settings' fault, said so, and a + number still goes in."""
    from models.domain.phone import normalise_phone, set_region

    assert normalise_phone("2125550100").e164 == "+862125550100"
    set_region("us")
    assert normalise_phone("2125550100").e164 == "+12125550100"
    assert normalise_phone("(212) 555-0100").display() == "(212) 555-0100"
    assert normalise_phone("+86 138 1234 5678").display() == "+86 138 1234 5678"
    case = file_case(store, hornet(caller_phone="212 555 0100"), "a01")
    assert case.caller_phone == "+12125550100"
    set_region("XX")
    with pytest.raises(ValidationFailed) as info:
        file_case(store, hornet(caller_phone="2125550100"), "a01")
    [problem] = info.value.problems
    assert problem.code == "phone.region" and "settings.toml" in problem.message("en")
    assert file_case(store, hornet(caller_phone="+1 212 555 0100"), "a01").caller_phone == \
        "+12125550100"


def test_control_characters_are_stripped_but_markup_is_kept(store):
    case = file_case(store, hornet(description="灯坏了 [bold]红[/] \x1b[31m警告\x07"), "a01")
    assert case.description == "灯坏了 [bold]红[/] [31m警告"


def test_every_problem_the_rules_raise_reads_in_both_languages(store):
    """Bad values for every rule (intake, a pushed case, a field edit): each problem names its
    field and has a message in English and Chinese that names the bad value."""
    from models.domain import validation
    from models.reference.catalogue import SessionCatalogue

    problems = []
    for bad in (dict(description="", caller_phone="abc", caller_name="名" * 61),
                dict(description="x" * 20_001, caller_phone="12", location_kind="moon"),
                dict(urgency="tomorrow", disposition="ignore", category="没有这个类",
                     lead_department="无此单位", co_departments=["街道", "无此单位"]),
                dict(caller_phone="+1 212 555", address="", lead_department="")):
        with store.session() as s:
            try:
                validation.check_draft(hornet(**bad), SessionCatalogue(s))
            except ValidationFailed as exc:
                problems += exc.problems
    problems += validation.check_record({"description": " ", "status": "gone", "urgency": "x",
                                         "location_kind": None, "disposition": "dispatch"})
    for name, value in (("status", "closed"), ("lat", "north"), ("co_departments", "街道"),
                        ("title", 7), ("urgency", "soon")):
        try:
            validation.check_field_value(name, value)
        except ValidationFailed as exc:
            problems += exc.problems
    codes = {p.code for p in problems}
    assert {"description.required", "description.too_long", "phone.letters", "phone.impossible",
            "name.too_long", "location_kind.unknown", "urgency.unknown", "disposition.unknown",
            "category.unknown", "department.unknown", "status.unknown", "field.not_editable",
            "field.not_number", "field.not_list", "field.not_text"} <= codes, codes
    for problem in problems:
        en, zh = problem.message("en"), problem.message("zh")
        assert en and zh and en != zh, problem
        if problem.code.endswith(".unknown") and problem.params["value"]:
            assert str(problem.params["value"]) in en and str(problem.params["value"]) in zh


def test_a_deadline_may_lie_ahead_but_not_past_2199():
    """An open case's due date is in the future (an import of open history carries it); a far
    one is a wrong value or an attack, named by its field."""
    from datetime import UTC, datetime, timedelta

    from models.domain.validation import check_record

    at = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert check_record({"due_at": at + timedelta(days=10)}, now=at, imported=True) == []
    assert check_record({"extension_due_at": at + timedelta(days=30)}, now=at) == []
    [far] = check_record({"due_at": datetime(3000, 1, 1, tzinfo=UTC)}, now=at)
    assert far.field == "due_at"
    [late] = check_record({"created_at": at + timedelta(days=10)}, now=at)
    assert late.field == "created_at"  # other times still end a day past the server's clock
