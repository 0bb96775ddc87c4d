"""The lead's gap review: questions asked most, calls no article matched, the CSV."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

from models.cases import file_case_in
from models.domain.case_shape import CaseDraft
from models.kb import gaps, import_articles, record_answer
from models.kb.demo import DEMO_ARTICLES

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _file(store, text, disposition="answered", category="", at=AT, **kw):
    with store.writer() as session:
        case = file_case_in(session, store, CaseDraft(
            description=text, disposition=disposition, category=category,
            address=kw.get("address", ""), lead_department=kw.get("lead", ""),
            caller_phone=kw.get("phone", "")), "a01", at)
        session.commit()
        return case


def test_asked_most_and_the_gaps_by_topic(store, tmp_path):
    import_articles(store, DEMO_ARTICLES)
    for n in range(3):
        case = _file(store, f"暖气什么时候来{n}", at=AT - timedelta(days=n))
        record_answer(store, case.id, case.description, "heating-season", 1,
                      at=AT - timedelta(days=n))
    record_answer(store, "", "居住证怎么办", "residence-permit", 1, at=AT - timedelta(days=2))
    record_answer(store, "", "很久以前的问题", "residence-permit", 1, at=AT - timedelta(days=90))
    # Calls no article answers: a topic the knowledge base lacks, asked three times.
    for n, phone in enumerate(("13800000001", "13800000002", "13800000001")):
        _file(store, f"公积金贷款额度怎么算{'啊' * n}", phone=phone, at=AT - timedelta(hours=n))
    _file(store, "宠物医院收费太贵", at=AT - timedelta(hours=5))
    # A call answered directly that an article does answer is no gap; nor is an old one.
    _file(store, "旧沙发怎么扔", at=AT - timedelta(hours=6))
    _file(store, "公积金贷款额度怎么算", at=AT - timedelta(days=40))

    asked = gaps.asked_most(store, days=30, at=AT)
    assert [(a.article_id, a.answers) for a in asked] == [("heating-season", 3),
                                                          ("residence-permit", 1)]
    assert asked[0].cases == 3 and asked[0].questions[0] == "暖气什么时候来0"

    missing = gaps.missing(store, days=30, at=AT)
    top = missing[0]
    assert top.calls == 3 and top.callers == 2 and top.topic == "公积金贷款额度怎么算"
    assert top.questions[0] == "公积金贷款额度怎么算"
    texts = [q for g in missing for q in g.questions]
    assert "宠物医院收费太贵" in texts and "旧沙发怎么扔" not in texts
    assert all("暖气" not in q for q in texts)  # answered from an article

    path = tmp_path / "gaps.csv"
    rows = gaps.write_csv(path, asked, missing)
    with open(path, encoding="utf-8-sig", newline="") as f:
        read = list(csv.DictReader(f))
    assert len(read) == rows == len(asked) + len(missing)
    assert read[0]["kind"] == "answered_from_article" and read[0]["count"] == "3"
    assert read[len(asked)]["kind"] == "no_article" and read[len(asked)]["count"] == "3"
