"""The knowledge base on a real store: import, versions, validity, search, answers, the index."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from models.kb import KnowledgeSearch, import_articles, record_answer
from models.kb.answers import answers_for_case
from models.kb.articles import ArticleStatus, get_article, revision, set_withdrawn, status_at
from models.kb.demo import DEMO_ARTICLES
from models.kb.importer import parse_bound
from models.kb.lexicon import Lexicon
from models.kb.tables import KbAnswer, KbArticle, KbPhrase, KbRevision

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def md(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


HEATING = """---
id: heating
title: 供暖季起止时间
answer: 本市供暖季为11月15日至次年3月15日。
category: 供暖
tags: [供暖, 供热]
department: 城市管理局
valid_from: 2026-11-01
valid_until: 2027-03-31
lang: zh
---
供暖期间室温不低于18℃。
"""


@pytest.fixture
def kb_store(store):
    report = import_articles(store, DEMO_ARTICLES)
    assert report.problems == [] and report.added == 52
    return store


def search(store, text, **kw):
    engine = KnowledgeSearch(store)
    try:
        return engine.search(text, **kw)
    finally:
        engine.close()


# --- import -----------------------------------------------------------------------------------
def test_import_reports_bad_files_by_name_and_line_and_imports_the_rest(store, tmp_path):
    folder = tmp_path / "articles"
    md(folder, "heating.md", HEATING)
    md(folder, "no-id-given.md", "---\ntitle: Lost ID card\nanswer: Go to a police station.\n"
                                 "lang: en\n---\nBody\n")
    md(folder, "broken.md", "---\ntitle: x\nanswer: y\ntags: [a, b\nlang: en\n---\n")
    md(folder, "no-title.md", "---\nid: t1\nanswer: y\nlang: en\n---\n")
    md(folder, "bad-date.md", "---\nid: t2\ntitle: x\nanswer: y\nvalid_until: 2026-13-45\n---\n")
    md(folder, "bad-lang.md", "---\nid: t3\ntitle: x\nanswer: y\nlang: fr\n---\n")
    md(folder, "plain.md", "# just Markdown, no front matter\n")
    md(folder, "sub/dup.md", "---\nid: heating\ntitle: again\nanswer: again\n---\n")
    report = import_articles(store, folder, at=NOW)
    assert (report.added, report.updated, report.unchanged) == (2, 0, 0)
    problems = {(p.file, p.line, p.code) for p in report.problems}
    assert problems == {("broken.md", 5, "bad_front_matter"), ("no-title.md", 1, "missing"),
                        ("bad-date.md", 5, "bad_date"), ("bad-lang.md", 5, "bad_lang"),
                        ("plain.md", 1, "no_front_matter"), ("sub/dup.md", 1, "duplicate_id")}
    texts = {p.file: p.text("zh") for p in report.problems}
    assert "2026-13-45" in texts["bad-date.md"] and "不是日期" in texts["bad-date.md"]
    with store.raw() as conn:
        assert get_article(conn, "no-id-given").title == "Lost ID card"  # id from the file name
        heating = get_article(conn, "heating")
    assert heating.tags == ["供暖", "供热"] and heating.department == "城市管理局"
    assert heating.valid_from.tzinfo is not None and heating.valid_until.tzinfo is not None


def test_csv_import_reports_rows_by_line(store, tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text(
        "id,title,answer,category,tags,department,valid_from,valid_until,lang,body\n"
        "p1,房产税怎么缴纳,通过电子税务局缴纳,税务,房产税;缴税,税务局,,,zh,正文\n"
        "p2,Property tax,Pay online,Tax,\"property tax, real estate tax\",Finance,,"
        "2020-01-01,en,\"Two\nlines\"\n"
        "p3,,no title,,,,,,en,\n"
        "p4,x,y,,,,someday,,en,\n", encoding="utf-8")
    report = import_articles(store, path)
    assert report.added == 2
    assert {(p.line, p.code) for p in report.problems} == {(5, "missing"), (6, "bad_date")}
    with store.raw() as conn:
        p2 = get_article(conn, "p2")
    assert p2.tags == ["property tax", "real estate tax"] and p2.body == "Two\nlines"


def test_reimport_adds_nothing_and_a_change_is_the_next_version(store, tmp_path):
    folder = tmp_path / "a"
    path = md(folder, "heating.md", HEATING)
    first = import_articles(store, folder)
    again = import_articles(store, folder)
    assert (first.added, again.added, again.updated, again.unchanged) == (1, 0, 0, 1)
    path.write_text(HEATING.replace("11月15日", "11月10日"), encoding="utf-8")
    changed = import_articles(store, folder)
    assert (changed.added, changed.updated) == (0, 1)
    with store.raw() as conn:
        art = get_article(conn, "heating")
        assert art.version == 2 and "11月10日" in art.answer
        assert "11月15日" in revision(conn, "heating", 1)["answer"]  # what was read out then
        assert conn.execute("SELECT count(*) FROM kb_revision").fetchone()[0] == 2
    hits = search(store, "供暖季什么时候开始")
    assert hits[0].id == "heating" and hits[0].version == 2


# --- validity ---------------------------------------------------------------------------------
def test_status_is_never_current_outside_the_validity_dates():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    start = parse_bound("2026-11-01", end=False, tz=tz)
    until = parse_bound("2027-03-31", end=True, tz=tz)
    day = lambda d, h=12: datetime.fromisoformat(f"{d}T{h:02d}:00:00+08:00")  # noqa: E731
    assert status_at(start, until, day("2026-10-31", 23)) is ArticleStatus.NOT_YET_VALID
    assert status_at(start, until, day("2026-11-01", 0)) is ArticleStatus.CURRENT
    assert status_at(start, until, day("2027-03-31", 23)) is ArticleStatus.CURRENT  # whole day
    assert status_at(start, until, day("2027-04-01", 0)) is ArticleStatus.EXPIRED
    assert status_at(None, None, day("1999-01-01")) is ArticleStatus.CURRENT


def test_search_marks_expired_and_not_yet_valid_articles(kb_store):
    subsidy = search(kb_store, "供暖费补贴怎么申领", at=NOW)
    assert subsidy[0].id == "heating-subsidy-2024"
    assert subsidy[0].status is ArticleStatus.EXPIRED and subsidy[0].valid is False
    assert "已失效" in subsidy[0].why_text("zh")
    rules = search(kb_store, "prepaid card new rules top-up limit", at=NOW)
    assert rules[0].id == "prepaid-card-rules-2027-en"
    assert rules[0].status is ArticleStatus.NOT_YET_VALID and not rules[0].valid
    later = search(kb_store, "prepaid card new rules top-up limit",
                   at=datetime(2027, 6, 1, tzinfo=UTC))
    assert later[0].valid


def test_a_withdrawn_article_disappears_from_search_and_can_come_back(kb_store):
    assert search(kb_store, "马路边的树上有马蜂窝")[0].id == "hornet-nest-road"
    with kb_store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        version = set_withdrawn(conn, "hornet-nest-road")
        conn.execute("COMMIT")
    assert version == 2
    assert "hornet-nest-road" not in [h.id for h in search(kb_store, "马路边的树上有马蜂窝")]
    with kb_store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        set_withdrawn(conn, "hornet-nest-road", False)
        conn.execute("COMMIT")
    assert search(kb_store, "马路边的树上有马蜂窝")[0].id == "hornet-nest-road"


def test_withdrawn_in_front_matter_keeps_it_out(store, tmp_path):
    md(tmp_path / "w", "old.md", HEATING.replace("lang: zh", "lang: zh\nwithdrawn: true"))
    import_articles(store, tmp_path / "w")
    assert search(store, "供暖季") == []


# --- search -----------------------------------------------------------------------------------
@pytest.mark.parametrize("question,article", [
    ("暖气什么时候开始烧", "heating-season"),  # 暖气 for 供暖
    ("医保卡怎么办", "social-security-card"),  # 医保卡 for 社保卡
    ("暂住证怎么办", "residence-permit"),  # 暂住证 for 居住证
    ("暂住正在哪里办理", "residence-permit"),  # a homophone typo
    ("社宝卡丢了", "social-security-card-loss"),
    ("旧沙发不要了能来拉走吗", "bulky-item-pickup"),
    ("how do I get rid of an old couch", "bulky-item-pickup-en"),  # couch for furniture
    ("where do I pay my house taxes", "property-tax-en"),  # house taxes for property tax
    ("question about my propery tax bill", "property-tax-en"),  # a typo
    ("the streetlight in front of my house is out", "street-light-out-en"),
    ("路燈不亮了", "street-light-out"),  # Traditional characters
])
def test_callers_words_find_the_article(kb_store, question, article):
    hits = search(kb_store, question, at=NOW)
    assert hits and hits[0].id == article, [(h.id, h.score) for h in hits]


def test_an_address_in_the_question_says_where_not_what(kb_store):
    """The demo's water call put the hornet-nest article ("on a street or in a park") first:
    its address "45 Park Place" named a park. An address a caller gives counts as filler words."""
    water = "Water main break flooding the street in front of 45 Park Place"
    assert search(kb_store, water, at=NOW)[0].id == "water-outage-en"
    for question, article in (("梦都大街18号停水了，什么时候来水", "water-outage"),
                              ("马路上的灯晚上都不亮，报修", "street-light-out"),
                              ("Street light out at 2111 W Bellevue Ave", "street-light-out-en")):
        assert search(kb_store, question, at=NOW)[0].id == article, question


def test_address_extents_find_roads_compounds_and_house_numbers():
    from models.search.normalise import normalise
    from models.search.tokens import address_extents

    def places(text):
        norm = normalise(text)
        return [norm[a:b] for a, b in address_extents(norm)]

    assert places("梦都大街18号路灯不亮") == ["梦都大街18号"]
    assert places("月苑小区3栋楼道里有马蜂窝") == ["月苑小区3栋"]
    assert places("幸福家园小区3栋楼下的垃圾桶满了") == ["幸福家园小区3栋"]
    assert places("I live at 2111 W Bellevue Ave, no heat") == ["2111 w bellevue ave"]
    assert places("pothole at Broadway & W 96th St") == ["96th st"]
    # No name: a road said in passing, a verb before 路, a school or a park the matter is about.
    for text in ("小区外面那条路没移交", "小区门口乱停车挡路", "孩子上幼儿园怎么报名",
                 "flooding the street in front of my house", "路边梧桐树上有个蜂窝"):
        assert places(text) == [], text


def test_hits_say_what_matched_and_why(kb_store):
    hit = search(kb_store, "暖气什么时候开始", at=NOW)[0]
    assert hit.id == "heating-season" and hit.valid and hit.score > 0
    assert "供暖" in hit.matched
    assert "“暖气”即“供暖”" in hit.why_text("zh") and "“暖气” means “供暖”" in hit.why_text("en")
    a, b = hit.title_spans[0]
    assert hit.title[a:b] == "供暖"


def test_pinyin_initials_find_titles(kb_store):
    ids = [h.id for h in search(kb_store, "jzz", limit=5)]
    assert {"residence-permit", "residence-permit-renewal"} <= set(ids[:2])
    assert search(kb_store, "sbk", limit=3)[0].id.startswith("social-security-card")


def test_translations_collapse_to_the_question_language(kb_store):
    zh = search(kb_store, "居住证", limit=10)
    assert zh[0].id == "residence-permit" and zh[0].lang == "zh"
    assert "residence-permit-en" not in [h.id for h in zh]
    both = search(kb_store, "居住证", limit=10, collapse=False)
    assert "residence-permit-en" in [h.id for h in both]
    assert search(kb_store, "residence permit")[0].id == "residence-permit-en"


def test_the_lexicon_is_a_data_file_a_terminal_can_extend(kb_store):
    question = "院里的茅坑满得冒出来了"  # 茅坑: a local word for the septic tank
    assert not any("茅坑" in r for h in search(kb_store, question) for r in h.why_text("zh"))
    (kb_store.data_dir / "kb_synonyms.txt").write_text("# ours\n化粪池, 茅坑\n", encoding="utf-8")
    hit = search(kb_store, question)[0]
    assert hit.id == "septic-tank" and "“茅坑”即“化粪池”" in hit.why_text("zh")
    lex = Lexicon.parse("# comment\n暖气, 供暖  # trailing\nsofa, couch , furniture\n")
    assert [[p.text for p in g] for g in lex.groups] == [["暖气", "供暖"],
                                                          ["sofa", "couch", "furniture"]]


def test_empty_question_finds_nothing(kb_store):
    assert search(kb_store, "   ") == []


# --- answers: what agents chose counts ----------------------------------------------------------
def test_recorded_answers_are_kept_and_teach_the_search(kb_store):
    question = "楼下墙根有一窝虫子嗡嗡飞"  # no article's words
    before = [h.id for h in search(kb_store, question, limit=3)]
    assert before[:1] != ["hornet-nest-compound"]
    record_answer(kb_store, "case-1", question, "hornet-nest-compound", 1, agent="a01", at=NOW)
    after = search(kb_store, question, limit=3)
    assert after[0].id == "hornet-nest-compound"
    assert "answered 1 similar questions before" in after[0].why_text("en")
    assert answers_for_case(kb_store, "case-1") == [
        {"article_id": "hornet-nest-compound", "version": 1, "question": question,
         "agent": "a01", "at": "2026-12-01T04:00:00.000000Z"}]


# --- the index ----------------------------------------------------------------------------------
def _postings(store) -> dict[str, list[str]]:
    """Each term's articles (weights depend on the average length when indexed: not compared)."""
    import numpy as np

    with store.raw() as conn:
        docs = dict(conn.execute("SELECT docno, article_id FROM kb_index_doc"))
        out = {}
        for term, blob, weights in conn.execute("SELECT term, docs, weights FROM kb_index_term"):
            numbers = np.frombuffer(blob, dtype=np.uint32).tolist()
            assert numbers == sorted(numbers), term  # search relies on sorted postings
            assert len(weights) == len(numbers), term
            out[term] = sorted(docs[n] for n in numbers)
    return out


def test_incremental_index_equals_a_rebuild(kb_store, tmp_path):
    from models.kb import index

    md(tmp_path / "more", "heating.md", HEATING)
    import_articles(kb_store, tmp_path / "more")
    path = md(tmp_path / "more", "heating.md", HEATING.replace("供热", "集中供热, 暖气"))
    import_articles(kb_store, tmp_path / "more")
    record_answer(kb_store, "c1", "我家暖气片冰凉", "heating-not-warm", 1)
    record_answer(kb_store, "c2", "路灯一闪一闪", "street-light-out", 1)
    with kb_store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        set_withdrawn(conn, "pothole")
        conn.execute("COMMIT")
    path.unlink()
    incremental = _postings(kb_store)
    with kb_store.raw() as conn:
        index.rebuild(conn)
    assert _postings(kb_store) == incremental


def test_articles_written_by_another_path_are_caught_up(kb_store):
    """A sync pull (a later phase) writes the table directly: the next search indexes it."""
    with kb_store.raw() as conn:
        conn.execute(
            "INSERT INTO kb_article (id, group_id, lang, title, answer, body, category, tags, "
            "department, valid_from, valid_until, version, content_hash, withdrawn, source, "
            "created_at, updated_at, updated_by) VALUES ('snow', 'snow', 'en', "
            "'Snow removal on sidewalks', 'Owners clear sidewalks within 4 hours of snowfall.', "
            "'', 'Snow', '[]', 'Sanitation', NULL, NULL, 1, 'x', 0, 'server', "
            "'2026-11-30T00:00:00.000000Z', '2026-11-30T00:00:00.000000Z', 'lead')")
    assert search(kb_store, "who shovels the snow on the sidewalk")[0].id == "snow"


# --- the store ------------------------------------------------------------------------------------
def test_migrated_kb_tables_match_the_sqlmodel_tables(store):
    with store.raw() as conn:
        for table in (KbArticle, KbRevision, KbAnswer, KbPhrase):
            name = table.__tablename__
            cols = {row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')}
            assert cols == {c.name for c in SQLModel.metadata.tables[name].columns}, name


def test_times_are_stored_aware_and_lists_as_json(kb_store):
    with kb_store.raw() as conn:
        row = conn.execute("SELECT tags, valid_from, updated_at FROM kb_article "
                           "WHERE id = 'heating-season'").fetchone()
    assert json.loads(row[0])[0] == "供暖"
    assert row[1].endswith("Z") and row[2].endswith("Z")


def test_a_second_connection_sees_the_change_counter_move(kb_store):
    with sqlite3.connect(kb_store.path) as conn:
        changes, indexed = (v for (v,) in conn.execute(
            "SELECT value FROM kb_index_state WHERE key IN ('changes', 'indexed') ORDER BY key"))
    assert changes == indexed > 0


def test_a_big_folder_parsed_by_a_second_process_imports_the_same(tmp_path):
    from models.kb import importer
    from models.store import open_store

    folder = tmp_path / "many"
    for n in range(30):
        md(folder, f"a{n:02d}.md", HEATING.replace("id: heating", f"id: h{n}"))
    md(folder, "a15-bad.md", "---\ntitle: x\nanswer: y\nlang: xx\n---\n")
    reports = []
    for workers in (0, 2):
        importer_chunk = importer.CHUNK_FILES
        importer.CHUNK_FILES = 4  # several chunks, in order
        try:
            reports.append(import_articles(open_store(tmp_path / f"s{workers}"), folder,
                                           workers=workers))
        finally:
            importer.CHUNK_FILES = importer_chunk
    sequential, parallel = reports
    assert parallel.added == sequential.added == 30 and parallel.ids == sequential.ids
    assert [p.text() for p in parallel.problems] == [p.text() for p in sequential.problems] == [
        "a15-bad.md:4: lang: 'xx' is not zh or en"]
