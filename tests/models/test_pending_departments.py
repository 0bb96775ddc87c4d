"""Department names from imported data: matched to the catalogue, or held for a lead (issue 13).

Real rows: the Chinese government messages name the answering agency in their replies."""

from __future__ import annotations

import csv

import pytest
from sqlmodel import select

from models.importing.importer import import_csv
from models.reference.matching import match_department, parse
from models.reference.pending import (
    PendingError,
    accept_pending,
    list_pending,
    map_pending,
)
from models.reference.views import department_labels, departments
from models.routing import Router
from models.store.tables import Case, Department

from ..conftest import real_file


def catalogue(store):
    with store.session() as s:
        return list(s.exec(select(Department)).all())


def test_names_match_by_alias_place_and_level_fuzzy_and_pinyin(store):
    depts = catalogue(store)

    def code(name):
        m = match_department(name, depts)
        return m.code if m else None

    assert code("城管局") == "chengguan"  # an alias
    assert code("市城管局") == "chengguan"  # the city's own, its level read off
    assert code("A市城管局") == "chengguan"
    assert code("市交警支队") == "traffic_police"
    assert code("市住建局") == "housing_bureau"
    assert code("泉塘街道办事处") == "street_office"  # ends with a catalogue name
    assert code("chengguanju") == "chengguan"  # pinyin
    assert code("A7县教育局") is None  # a county's body is not the city's
    assert code("A市高新区教育局") is None  # nor a district's inside the city
    assert code("A8县市场监督管理局") is None and code("A8县市交通运输局") is None
    assert code("西地省人民政府") is None  # a province's neither
    assert code("国家发改委") is None
    assert parse("A7县城市管理和行政执法局").level == "县"
    assert parse("市场监督管理局").rest == "市场监督管理局" or code("市场监督管理局") is not None


def test_importing_the_chinese_messages_adds_no_department_and_holds_the_rest(store):
    before = {d.code for d in catalogue(store)}
    report = import_csv(store, real_file("gov_messages_zh_with_replies.csv"))
    assert report.departments_added == []
    assert {d.code for d in catalogue(store)} == before  # the live catalogue is as it was
    assert report.departments_matched.get("市城管局") == "chengguan"
    pending = list_pending(store)
    names = {p.name: p for p in pending}
    assert "A7县教育局" in names and "市城管局" not in names
    # The rows that name it, counted from the file itself.
    with open(real_file("gov_messages_zh_with_replies.csv"), encoding="utf-8-sig") as f:
        naming = sum(1 for row in csv.DictReader(f) if "A7县教育局" in (row.get("答复意见") or ""))
    assert 0 < names["A7县教育局"].cases <= naming
    with store.raw() as conn:
        cases = conn.execute('SELECT count(*) FROM "case" WHERE lead_department = ?',
                             (names["A7县教育局"].code,)).fetchone()[0]
        matched = conn.execute('SELECT count(*) FROM "case" WHERE lead_department = ?',
                               ("chengguan",)).fetchone()[0]
    assert cases == names["A7县教育局"].cases
    assert matched > 0
    # A case filed under a held name shows that name, not its code; catalogue ones theirs.
    labels = department_labels(store, "zh")
    assert labels[names["A7县教育局"].code] == "A7县教育局"
    assert labels["chengguan"] == next(d.name_zh for d in catalogue(store) if d.code == "chengguan")
    # Agents never meet a pending name: not in the picker's list, not among the suggestions.
    listed = {d.code for d in departments(store)}
    assert not listed & {p.code for p in pending}
    router = Router.for_store(store)
    try:
        router.refresh()
        s = router.suggest("A7县某某学校乱收费，请教育局查处", lang="zh", limit=10)
        assert all(not d.code.startswith("imp:") for d in s.departments)
    finally:
        router.close()
    # Importing again counts nothing twice and adds nothing.
    assert import_csv(store, real_file("gov_messages_zh_with_replies.csv")).imported == 0


def test_a_lead_maps_one_name_and_accepts_another(store):
    import_csv(store, real_file("gov_messages_zh_with_replies.csv"))
    names = {p.name: p for p in list_pending(store)}
    county = names["A7县教育局"]
    moved = map_pending(store, "A7县教育局", "education_bureau")
    assert moved == county.cases
    with store.session() as s:
        assert s.get(Department, "education_bureau").aliases[-1] == "A7县教育局"
        assert s.exec(select(Case).where(Case.lead_department == county.code)).first() is None
        assert len(s.exec(select(Case).where(Case.lead_department == "education_bureau")).all()) >= moved
    # Mapped: the next import of that name matches it.
    assert match_department("A7县教育局", catalogue(store)).code == "education_bureau"
    other = names["西地省人民政府"]
    code = accept_pending(store, "西地省人民政府")
    assert code == other.code
    assert code in {d.code for d in departments(store)}
    assert "西地省人民政府" not in {p.name for p in list_pending(store)}
    with pytest.raises(PendingError):
        map_pending(store, "no such name", "education_bureau")
    with pytest.raises(PendingError):
        map_pending(store, next(iter(p.name for p in list_pending(store))), "no_such_code")
