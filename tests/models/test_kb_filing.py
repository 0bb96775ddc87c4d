"""A case answered from an article: the one filing path records which article and version."""

from __future__ import annotations

from sqlmodel import select

from models.cases import file_case, timeline
from models.domain.case_shape import CaseDraft
from models.kb import AnsweredFrom, import_articles
from models.kb.answers import answers_for_case
from models.kb.demo import DEMO_ARTICLES
from models.store.outbox import Outbox
from models.store.tables import Case

QUESTION = "请问今年暖气什么时候开始烧"


def test_answered_from_is_on_the_case_its_timeline_and_the_answers(store):
    import_articles(store, DEMO_ARTICLES)
    answered = AnsweredFrom("heating-season", 1, "供暖季起止时间", "zh")
    case = file_case(store, CaseDraft(description=QUESTION, disposition="answered",
                                      notes="本市供暖季为……"), "a01",
                     answered_from=answered, lang="zh")
    with store.session() as s:
        row = s.get(Case, case.id)
        outbox = s.exec(select(Outbox)).all()
    assert row.status == "closed" and row.lead_department == "" and row.disposition == "answered"
    created = timeline(store, case.id)[0]
    assert created.kind == "created"
    assert created.data["kb_article"] == "heating-season" and created.data["kb_version"] == 1
    assert created.note == "依据知识 heating-season 第 1 版答复：供暖季起止时间"
    assert [(a["article_id"], a["version"], a["question"]) for a in answers_for_case(store, case.id)] \
        == [("heating-season", 1, QUESTION)]
    # The server hears it with the new case: the created event's data and note go with it.
    sent = outbox[-1].payload["events"][0]
    assert sent["data"]["kb_article"] == "heating-season" and "heating-season" in sent["note"]


def test_a_dispatched_case_records_no_article(store):
    import_articles(store, DEMO_ARTICLES)
    case = file_case(store, CaseDraft(description=QUESTION, disposition="dispatch"), "a01",
                     answered_from=AnsweredFrom("heating-season", 1))
    assert "kb_article" not in timeline(store, case.id)[0].data
    assert answers_for_case(store, case.id) == []


def test_a_store_without_articles_finds_none(store):
    from models.kb import search_articles

    assert search_articles(store, "梦都大街的路灯还是不亮") == []
