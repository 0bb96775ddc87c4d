"""Similar-case search on real SQLite stores: matching, normalisation, signals, index currency."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from models.cases import attach_repeat_call, file_case, timeline
from models.domain.case_shape import CaseDraft
from models.importing.importer import import_csv
from models.search import Query, SimilarCaseSearch, rebuild
from models.search import index as search_index
from models.search.address import address_key
from models.search.normalise import normalise, terms
from models.store.tables import Case

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _file(store, description: str, *, address: str = "", phone: str = "", days_ago: float = 0):
    return file_case(store, CaseDraft(description=description, address=address, caller_phone=phone,
                                      disposition="answered"), "a01", AT - timedelta(days=days_ago))


def _search(store, limit: int = 10, **query) -> list:
    return SimilarCaseSearch(store).search(Query(at=AT, **query), limit=limit)


def _watermark_is_current(store) -> bool:
    with store.raw() as conn:
        watermark, top = search_index.backlog(conn)
    return watermark == top


def test_two_character_chinese_words_match_inside_unspaced_sentences(store):
    lamp = _file(store, "龙蟠中路的路灯不亮已经一个星期了")
    fumes = _file(store, "楼下饭店油烟直排，窗户都不敢开")
    hornets = _file(store, "路边梧桐树上有一个马蜂窝")
    for word, case in (("路灯", lamp), ("油烟", fumes), ("马蜂", hornets)):
        hits = _search(store, text=word)
        assert [h.id for h in hits] == [case.id], word
        snippet = hits[0].snippet
        assert word in snippet.matched()
        assert any(r.key == "search.why.similar_words" and word in r.params["words"] for r in hits[0].why)


def test_the_reason_names_telling_words_once_and_no_function_words(store):
    """The reason an agent reads ("similar text: ...") names each matched word once however it
    is written, and no function word: "been" and "have" match nothing."""
    case = _file(store, "Broken street light at 133rd Ave & 231st Street, it has been very dark")
    _file(store, "Pothole in the road outside the school")
    hits = _search(store, text="the street light has been broken for a week")
    assert hits[0].id == case.id
    words = next(r.params["words"] for r in hits[0].why if r.key == "search.why.similar_words")
    assert sorted(words.lower().split()) == ["broken", "light", "street"]
    assert [h.id for h in _search(store, text="it has been")] == []


def test_traditional_and_full_width_forms_match_simplified_and_half_width(store):
    case = _file(store, "馬蜂窩在ＡＢＣ大廈門口，路燈不亮")
    assert normalise("路燈ＡＢＣ１２") == "路灯abc12"
    assert [h.id for h in _search(store, text="马蜂窝")] == [case.id]
    assert [h.id for h in _search(store, text="abc 大厦")] == [case.id]
    hit = _search(store, text="路灯不亮")[0]
    assert hit.id == case.id
    assert "路燈不亮" in hit.snippet.matched()  # spans point into the text as it was written


def test_mixed_chinese_and_english_and_english_word_forms(store):
    hornets = _file(store, "Hornets NESTING in a street tree 树上有马蜂窝")
    _file(store, "Loud music from the apartment upstairs")
    assert terms("Lights parked running 5th") == ["light", "park", "run", "5"]
    for text in ("hornet nest", "HORNETS", "马蜂 nest"):
        assert _search(store, text=text)[0].id == hornets.id, text


def test_address_forms_normalise_to_one_key():
    same = ["龙蟠中路28号", "龍蟠中路２８號", "龙蟠中路 28 号", "南京市鼓楼区龙蟠中路28号", "No.28 龙蟠中路"]
    assert {address_key(a).key for a in same} == {"龙蟠中路#28"}
    english = ["2111 W Bellevue Ave, 90026", "2111 WEST BELLEVUE AVENUE", "2111 west bellevue ave"]
    assert len({address_key(a).key for a in english}) == 1
    assert address_key("VENICE BLVD AT CANFIELD AVE").key == address_key("Canfield Ave & Venice Blvd").key
    assert address_key("阳光小区2号楼501室").street == "阳光小区"  # 小区 is not a district (区)
    assert address_key("龙蟠中路30号").near(address_key("龙蟠中路28号"))
    assert not address_key("龙蟠中路300号").near(address_key("龙蟠中路28号"))


def test_same_and_nearby_address_are_found_and_named(store):
    same = _file(store, "路灯不亮", address="龙蟠中路28号")
    near = _file(store, "路灯不亮了", address="龙蟠中路30号")
    elsewhere = _file(store, "路灯不亮", address="中山东路5号")
    hits = _search(store, text="路灯不亮", address="龍蟠中路２８號")
    assert [h.id for h in hits[:3]] == [same.id, near.id, elsewhere.id]
    assert "same address" in hits[0].why_text()
    assert "nearby address" in hits[1].why_text()
    assert hits[0].why[0].text("zh") == "同一地址"


def test_an_address_written_inside_the_text_counts_as_the_same_address(store):
    there = _file(store, "Street Condition: Pothole", address="2949 8 AVENUE")
    _file(store, "Street Condition: Pothole", address="15 MAIN STREET")
    hits = _search(store, text="Street Condition: Pothole at 2949 8th Ave")
    assert hits[0].id == there.id and "same address" in hits[0].why_text()


def test_same_caller_adds_to_a_text_match_but_does_not_outrank_a_better_one(store):
    # The caller's other cases have their own section (caller history); among similar cases
    # the same caller breaks a tie, and a phone number alone still finds the caller's cases.
    mine = _file(store, "路灯还是不亮", phone="13800001234", days_ago=20)
    better = _file(store, "路灯不亮", phone="13911112222", days_ago=20)
    twin = _file(store, "路灯还是不亮", days_ago=20)
    hits = _search(store, text="路灯不亮", phone="138 0000 1234")
    assert hits[0].id == better.id
    at = [h.id for h in hits]
    assert at.index(mine.id) < at.index(twin.id)  # the same text: the same caller first
    assert "same caller" in hits[at.index(mine.id)].why_text()
    alone = _search(store, phone="13800001234")
    assert [h.id for h in alone] == [mine.id] and alone[0].why_text()[0] == "same caller"


def test_recent_and_open_cases_are_named_and_preferred_among_equals(store):
    old = _file(store, "小区门口路灯不亮", days_ago=200)
    new = _file(store, "小区门口路灯不亮", days_ago=1)
    hits = _search(store, text="小区门口路灯不亮")
    assert [h.id for h in hits] == [new.id, old.id]
    assert "recent" in hits[0].why_text() and "recent" not in hits[1].why_text()
    assert hits[0].age_days == pytest.approx(1, abs=0.01)


def test_a_case_sharing_one_common_word_is_not_alike(store):
    # The demo's water call met oil-fume cases on 家里 alone: listed as similar, they were noise.
    fumes = [_file(store, "楼下饭店油烟直排，家里窗户都不敢开。", days_ago=d) for d in (1, 3, 5)]
    lights = _file(store, "龙蟠中路一整排路灯晚上都不亮", days_ago=2)
    mine = _file(store, "楼下饭店油烟直排", phone="13800001234", days_ago=9)
    water = _search(store, text="家里自来水停了一整天了，也没有通知")
    assert {h.id for h in water} >= {f.id for f in fumes} | {lights.id}
    assert not any(h.alike for h in water)
    assert not any(r.startswith("similar") for h in water for r in h.why_text())
    fume = _search(store, text="饭店油烟直排")
    assert {h.id for h in fume if h.alike} == {f.id for f in fumes} | {mine.id}
    # One word that is most of what the query says is a likeness; so is the same caller.
    assert all(h.alike for h in _search(store, text="油烟"))
    same_caller = _search(store, text="家里自来水停了", phone="13800001234")
    assert [h.id for h in same_caller if h.alike] == [mine.id]


def test_index_is_current_right_after_file_case(store):
    case = _file(store, "健身房关门跑路，预付卡退不了")
    assert _watermark_is_current(store)  # indexed in the filing transaction, not by the query
    assert _search(store, text="预付卡")[0].id == case.id


def test_many_single_filings_keep_each_term_in_few_segments(store):
    ids = {_file(store, f"路灯不亮第{i}次").id for i in range(3 * search_index.MERGE_AT)}
    with store.raw() as conn:
        segments = conn.execute("SELECT segments FROM search_term WHERE term = '路灯'").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM search_postings WHERE term = '路灯'").fetchone()[0]
    assert segments == rows < search_index.MERGE_AT
    assert {h.id for h in _search(store, text="路灯", limit=100)} == ids


def test_index_is_current_right_after_import_csv(store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("case_id,created_at,address,category,description\n"
                    "x1,2026-03-01 10:00:00,湖南路12号,路灯,湖南路的路灯不亮\n"
                    "x2,2026-03-02 10:00:00,5 Main St,Noise,Loud music every night\n",
                    encoding="utf-8")
    _file(store, "先有的案件：油烟扰民")
    assert import_csv(store, path).imported == 2
    assert [h.case_id for h in _search(store, text="路灯")] == ["x1"]
    assert [h.case_id for h in _search(store, text="music")] == ["x2"]
    assert _watermark_is_current(store)
    # Filing after an import indexes the import's rows too: nothing is skipped past.
    assert import_csv(store, path).imported == 0
    _file(store, "又一件：路灯")
    assert len(_search(store, text="路灯")) == 2


def test_rebuild_gives_the_same_results(demo_store):
    before = [h.id for h in _search(demo_store, text="马蜂窝 行人 危险")]
    with demo_store.raw() as conn:
        assert rebuild(conn) > 0
    after = [h.id for h in _search(demo_store, text="马蜂窝 行人 危险")]
    # Term weights use the average length when each case was indexed: scores may move a little.
    assert before and before[0] == after[0] and set(before) == set(after)


def test_demo_store_hornets_and_street_lights(demo_store):
    hits = _search(demo_store, text="树上有马蜂窝")
    assert hits and all("马蜂" in h.snippet.text or "蜂" in h.snippet.text for h in hits[:5])
    assert all(h.why for h in hits)
    with demo_store.session() as s:
        lamp = s.get(Case, _search(demo_store, text="street lights dark")[0].id)
    assert "light" in lamp.description.lower()


def test_caller_text_comes_back_as_plain_text_with_spans(store):
    _file(store, "[bold red]路灯[/] 不亮 \x1b[31m")
    hit = _search(store, text="路灯")[0]
    assert hit.snippet.text.startswith("[bold red]路灯[/]")
    a, b = hit.snippet.spans[0]
    assert hit.snippet.text[a:b] == "路灯"


def test_exclude_leaves_the_case_out_and_empty_queries_find_nothing(store):
    a = _file(store, "路灯不亮")
    b = _file(store, "路灯不亮")
    assert [h.id for h in _search(store, text="路灯", exclude=frozenset({a.case_no}))] == [b.id]
    assert _search(store, text="  ") == []
    assert _search(store, text="完全无关的词语") == []


def test_search_from_worker_threads_uses_a_connection_per_thread(store):
    from concurrent.futures import ThreadPoolExecutor

    case = _file(store, "下水道堵塞，化粪池满了")
    engine = SimilarCaseSearch(store)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: engine.search(Query(text="化粪池")), range(16)))
    assert all([h.id for h in r] == [case.id] for r in results)


def test_attach_repeat_call_records_the_caller_and_counts(store):
    case = _file(store, "路灯不亮", address="龙蟠中路28号")
    draft = CaseDraft(caller_phone="13800001234", caller_name="王女士",
                      description="又打来了，路灯还是不亮")
    event = attach_repeat_call(store, case.id, "a02", draft=draft, at=AT)
    attach_repeat_call(store, case.id, "a02", phone="", note="匿名来电同一问题", at=AT)
    with store.session() as s:
        assert s.get(Case, case.id).repeat_count == 2
    kinds = [(e.kind, e.note, e.data.get("caller_phone")) for e in timeline(store, case.id)]
    assert ("repeat_call", "又打来了，路灯还是不亮", "+8613800001234") in kinds
    assert ("repeat_call", "匿名来电同一问题", "") in kinds
    assert event.agent == "a02"
    with pytest.raises(KeyError):
        attach_repeat_call(store, "no-such-case", "a02", note="x")


def test_the_index_tables_come_from_the_migrations(store):
    with store.raw() as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"search_postings", "search_term", "search_state"} <= tables
    with pytest.raises(sqlite3.OperationalError):
        sqlite3.connect(":memory:").execute("SELECT * FROM search_term")


def test_the_subject_a_caller_describes_outweighs_shared_details(store):
    # A citizen message's subject (主题) is its densest signal: a query about that subject finds
    # the case before one that shares more of its incidental details (a road, boilerplate).
    def filed(title: str, description: str):
        return file_case(store, CaseDraft(title=title, description=description,
                                          disposition="answered"), "a01", AT)
    subject = filed("松雅湖周边交通安全问题", "滨湖路口没有红绿灯也没有斑马线，过街很危险，老人孩子出行不便。")
    details = filed("东四路夜市占道", "东四路路口晚上有夜市摆摊，车多车快，请相关部门尽快处理。")
    hits = _search(store, text="松雅湖周边的交通安全问题：东四路路口车多车快，请相关部门处理。")
    assert [h.id for h in hits] == [subject.id, details.id]
    assert any(r.key.startswith("search.why.similar_") for r in hits[0].why)


def _index_state(store) -> dict:
    with store.raw() as conn:
        return {**search_index.state(conn), "current": search_index.is_current(conn),
                "top": search_index.backlog(conn)[1]}


@pytest.mark.parametrize("parallel", [False, True])
def test_an_import_leaves_search_ready_with_no_catch_up(store, tmp_path, monkeypatch, parallel):
    """After `import_csv` the index holds every imported case (watermark at the last row, the
    case count, the format): the first search finds them with catch-up switched off."""
    _file(store, "先有的案件：油烟扰民")
    path = tmp_path / "in.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("case_id,created_at,address,category,description\n")
        for i in range(3000):
            f.write(f"r{i},2026-03-01 10:00:00,湖南路{i}号,路灯,湖南路{i}号的路灯不亮\n")
        f.write("last,2026-03-02 10:00:00,5 Main St,Noise,Loud music every night\n")
    assert import_csv(store, path, parallel=parallel).imported == 3001
    st = _index_state(store)
    assert st["current"] and st["watermark"] == st["top"] and st["docs"] == 3002
    assert st["format"] == search_index.FORMAT

    def no_catch_up(*_a, **_k):
        raise AssertionError("search caught up after an import")
    monkeypatch.setattr(search_index, "catch_up", no_catch_up)
    assert [h.case_id for h in _search(store, text="music")] == ["last"]
    hits = _search(store, text="路灯不亮", address="湖南路1234号")
    assert hits[0].case_id == "r1234" and "same address" in hits[0].why_text()
    with store.raw() as conn:
        df = conn.execute("SELECT df FROM search_term WHERE term = '路灯'").fetchone()[0]
    assert df == 3000


def test_importing_into_a_store_with_cases_indexes_only_the_new_ones(store, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("case_id,description\na1,路灯不亮\na2,油烟扰民\n", encoding="utf-8")
    second.write_text("case_id,description\na1,路灯不亮\nb1,马蜂窝在树上\n", encoding="utf-8")
    import_csv(store, first)
    report = import_csv(store, second)
    assert (report.imported, report.duplicates) == (1, 1)
    st = _index_state(store)
    assert st["current"] and st["docs"] == 3
    assert [h.case_id for h in _search(store, text="路灯")] == ["a1"]  # indexed once
    assert [h.case_id for h in _search(store, text="马蜂窝")] == ["b1"]


def test_a_crash_between_rows_and_index_is_caught_up_by_the_next_search(store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("case_id,description\nc1,化粪池满了\n", encoding="utf-8")
    import_csv(store, path)
    with store.raw() as conn:  # as if the rows had committed and the process died
        conn.execute("INSERT INTO search_state (key, value) VALUES ('watermark', 0) "
                     "ON CONFLICT(key) DO UPDATE SET value = 0")
        conn.execute("DELETE FROM search_postings")
        conn.execute("DELETE FROM search_term")
        conn.execute("UPDATE search_state SET value = 0 WHERE key = 'docs'")
    assert not _index_state(store)["current"]
    assert [h.case_id for h in _search(store, text="化粪池")] == ["c1"]
    assert _index_state(store)["current"]


def test_an_index_in_an_older_format_is_rebuilt(store):
    case = _file(store, "健身房关门跑路")
    with store.raw() as conn:
        conn.execute("UPDATE search_state SET value = 1 WHERE key = 'format'")
    assert [h.id for h in _search(store, text="健身房")] == [case.id]
    assert _index_state(store)["format"] == search_index.FORMAT


def test_one_text_and_a_chunk_give_the_same_terms():
    from collections import Counter

    from models.search.tokens import bulk_terms, text_terms

    texts = [normalise(t) for t in ("小区里的树上有个大马蜂窝，化粪池满了", "Hornets NESTING in 5th Ave",
                                    "路", "", "路灯不亮 abc 的 a 123", "預付卡退不了")]
    docs, ids, names = bulk_terms(texts)
    chunk = [Counter() for _ in texts]
    for d, t in zip(docs.tolist(), ids.tolist(), strict=True):
        chunk[d][names[t]] += 1
    assert chunk == [Counter(text_terms(t)) for t in texts]
    assert {"马蜂窝", "化粪池"} <= set(text_terms(texts[0]))  # jieba's dictionary words
    assert "预付卡" in text_terms(texts[5])


def test_places_and_boilerplate():
    from models.search.tokens import place_terms, strip_boilerplate

    places = place_terms(normalise("我家住在阳光小区2栋，龙蟠中路28号，A6区星沙镇"))
    assert {"@w:阳光小区", "@w:阳光小区#2", "@w:龙蟠中路#28", "@w:星沙镇", "@w:a6区"} <= set(places)
    assert "路灯" not in "".join(place_terms(normalise("路灯不亮")))
    text = strip_boilerplate(normalise("尊敬的领导：您好！小区路灯不亮，请有关部门尽快处理，谢谢！"))
    assert "小区路灯不亮" in text
    for gone in ("尊敬", "领导", "您好", "有关部门", "处理", "谢谢"):
        assert gone not in text


def test_an_edit_moves_the_case_in_the_index(store):
    from models.cases.edits import edit_case

    case = _file(store, "路灯不亮已经一个星期", address="龙蟠中路28号")
    other = _file(store, "路灯坏了")
    edit_case(store, case.id, {"description": "树上有个马蜂窝", "address": "中山东路5号"}, "a01")
    assert {h.id for h in _search(store, text="路灯")} == {case.id, other.id}  # its title still
    edit_case(store, case.id, {"title": "马蜂窝"}, "a01")
    assert [h.id for h in _search(store, text="路灯")] == [other.id]
    assert [h.id for h in _search(store, text="马蜂窝")] == [case.id]
    assert _search(store, text="马蜂窝", address="中山东路5号")[0].why_text()[0] == "same address"
    with store.raw() as conn:
        assert conn.execute("SELECT df FROM search_term WHERE term = '路灯'").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM search_term WHERE term = '@a:龙蟠中路#28'"
                            ).fetchone()[0] == 0
    edit_case(store, case.id, {"category": "hornet_nest"}, "a01")  # no indexed field: no change
    assert [h.id for h in _search(store, text="马蜂窝")] == [case.id]


def test_one_searcher_keeps_postings_only_while_the_index_is_unchanged(store, monkeypatch):
    """The postings a searcher keeps in memory (a common term's, at scale) are dropped by any
    write to the index: filing, an edit, a rebuild; the same searcher sees each change."""
    from models.cases.edits import edit_case
    from models.search import engine

    monkeypatch.setattr(engine, "CACHE_MIN_POSTINGS", 0)  # every term kept, as common ones are
    searcher = SimilarCaseSearch(store)

    def found(text: str) -> set[str]:
        return {h.id for h in searcher.search(Query(text=text, at=AT))}

    first = _file(store, "路灯不亮已经一个星期")
    assert found("路灯") == {first.id}
    assert "路灯" in searcher._postings.rows
    second = _file(store, "路灯坏了，晚上很黑")
    assert found("路灯") == {first.id, second.id}
    edit_case(store, first.id, {"description": "树上有个马蜂窝", "title": "马蜂窝"}, "a01")
    assert found("路灯") == {second.id}
    assert found("马蜂窝") == {first.id}
    with store.raw() as conn:
        rebuild(conn)
    assert found("路灯") == {second.id}


def test_a_repeat_calls_note_is_searchable_with_its_case(store):
    case = _file(store, "小区门口有积水")
    attach_repeat_call(store, case.id, "a02", phone="", note="下水道堵塞，化粪池也满了", at=AT)
    hits = _search(store, text="化粪池")
    assert [h.id for h in hits] == [case.id]
    with store.raw() as conn:
        assert conn.execute("SELECT df FROM search_term WHERE term = '积水'").fetchone()[0] == 1


def test_a_pulled_update_moves_the_case_in_the_index(store, tmp_path):
    from sync.client.apply import apply_pull
    from sync.protocol import CaseWire, PullResponse

    path = tmp_path / "in.csv"
    path.write_text("case_id,description\np1,路灯不亮\np2,油烟扰民\n", encoding="utf-8")
    import_csv(store, path)
    with store.session() as s:
        case = s.exec(select(Case).where(Case.external_id == "p1")).one()
    wire = CaseWire.model_validate(case.model_dump(exclude={"sync_state"}))
    changed = wire.model_copy(update={"description": "预付卡退不了", "version": case.version + 1})
    new = wire.model_copy(update={"id": "00000000-0000-7000-8000-000000000001",
                                  "external_id": "p3", "case_no": "S-1",
                                  "description": "楼顶私自搭建彩钢房"})
    apply_pull(store, PullResponse(cursor=1, cases=[changed, new], server_time=AT))
    assert [h.case_id for h in _search(store, text="预付卡")] == ["p1"]
    assert _search(store, text="路灯") == []
    assert [h.case_id for h in _search(store, text="彩钢房")] == ["p3"]
    assert _index_state(store)["current"]


def _postings_by_term(store) -> dict[str, tuple[bytes, bytes]]:
    """Every term's postings, its segments joined in rowid order."""
    import numpy as np

    out: dict[str, list] = {}
    with store.raw() as conn:
        for term, docs, weights in conn.execute("SELECT term, docs, weights FROM search_postings"):
            out.setdefault(term, []).append((docs, weights))
    joined = {}
    for term, parts in out.items():
        docs = np.concatenate([np.frombuffer(d, dtype=np.uint32) for d, _ in parts])
        weights = np.concatenate([np.frombuffer(w, dtype=np.uint8) for _, w in parts])
        order = np.argsort(docs, kind="stable")
        joined[term] = (docs[order].tobytes(), weights[order].tobytes())
    return joined


def test_an_import_in_many_segments_ends_merged_and_as_a_rebuild_would_index(
        store, tmp_path, monkeypatch):
    """An import leaves crowded terms to one merge at its end: afterwards no term lies in
    MERGE_AT segments or more, and every term's postings are those a rebuild writes."""
    monkeypatch.setattr(search_index, "SEGMENT_POSTINGS", 2_000)  # many small segments
    path = tmp_path / "in.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("case_id,created_at,address,description\n")
        for i in range(6_000):
            f.write(f"m{i},2026-03-01 10:00:00,湖南路{i % 50}号,湖南路的路灯不亮 第{i % 7}次 lamp out\n")
    import_csv(store, path, parallel=False)
    with store.raw() as conn:
        worst = conn.execute("SELECT max(segments), max(cnt) FROM search_term JOIN (SELECT term, "
                             "count(*) AS cnt FROM search_postings GROUP BY term) USING (term)"
                             ).fetchone()
        assert worst[0] == worst[1] and worst[0] < search_index.MERGE_AT
    imported = _postings_by_term(store)
    with store.raw() as conn:
        search_index.rebuild(conn)
    assert imported == _postings_by_term(store) and len(imported) > 50
    assert len(_search(store, text="路灯不亮", limit=10)) == 10


@pytest.mark.parametrize("segments", [
    [[1, 5, 9], [10, 11], [40]],  # an import's: one after another (joined as they are)
    [[40], [1, 5, 9], [10, 11]],  # the same, read in another order
    [[1, 5, 40], [3, 4], [41]],  # interleaved: an edit re-indexed a case out of order
    [[7, 8]],  # one segment
])
def test_merging_a_terms_segments_orders_its_postings_by_rowid(segments):
    """`_joined`: the merged docs ascend, and each weight stays with its case."""
    import numpy as np

    rows = [(np.array(s, dtype=np.uint32).tobytes(),
             np.array([d % 251 for d in s], dtype=np.uint8).tobytes()) for s in segments]
    docs, weights = search_index._joined(rows)
    got = np.frombuffer(docs, dtype=np.uint32)
    assert got.tolist() == sorted(d for s in segments for d in s)
    assert np.frombuffer(weights, dtype=np.uint8).tolist() == [d % 251 for d in got.tolist()]


def test_a_match_the_snippet_cuts_at_its_edge_is_not_highlighted_nor_named():
    """The window shows 60 characters: a match it cuts (the "wal" of walking) names no word in
    the reason ("similar text: people tree wal"); the matches it shows whole stay."""
    from models.search.snippet import make_snippet

    text = "tree and nest: " + "x" * 40 + " walking past the corner of the road every day"
    snippet = make_snippet(text, {"tree", "nest", "walk"})
    assert snippet.text.startswith("tree and nest") and snippet.text.endswith(" walk…")
    assert snippet.matched() == ["tree", "nest"]


def test_stage_one_keeps_the_best_weights_of_a_common_term_then_the_newest():
    """A common term's candidates are picked by counting its postings per weight: the picks
    are exactly those of a full sort by pre-score, then weight, then rowid (newest first),
    however many postings share a weight (few distinct weights is the common case)."""
    import numpy as np

    from models.search.engine import _best_by_weight

    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(401, 3000))
        weights = rng.integers(0, int(rng.integers(1, 256)) + 1, n).astype(np.uint8)
        # capped like the BM25 part of the pre-score: many weights share the top pre-score
        table = np.minimum(np.arange(256) * rng.random(), rng.random() * 50).astype(np.float32)
        k = int(rng.integers(1, n))
        by_sort = np.lexsort((-np.arange(n), -weights.astype(int), -table[weights]))[:k]
        assert _best_by_weight(weights, table, k).tolist() == sorted(by_sort.tolist())


def test_a_common_word_finds_the_newest_of_equal_cases(store):
    """More cases hold the query's one word than stage one keeps (PHASE_TWO): among equal
    matches the newest come first, as the agent needs (the duplicate is most likely recent)."""
    from models.search.engine import PHASE_TWO

    texts = ["路灯不亮，晚上很黑", "路灯不亮了，晚上很黑很危险"] * ((PHASE_TWO + 40) // 2)
    cases = [_file(store, text, days_ago=(PHASE_TWO + 40 - i) / 10)
             for i, text in enumerate(texts)]
    newest = [c.case_no for c in cases[::-1]]
    hits = _search(store, text="路灯")
    assert [h.case_id for h in hits] == [i for i in newest if i in {h.case_id for h in hits}]
    assert {h.case_id for h in hits} <= set(newest[:40])
