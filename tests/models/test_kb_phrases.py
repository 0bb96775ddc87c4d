"""Quick phrases: the built-in set in both languages, expansion by code, editing."""

from __future__ import annotations

from models.kb.phrases import DEFAULTS, Phrasebook, expand, save_phrase


def test_the_built_in_set_is_in_both_languages(store):
    book = Phrasebook.load(store)
    for code, *_ in DEFAULTS:
        assert book.get(code, "zh").lang == "zh" and book.get(code, "en").lang == "en"
    assert {p.code for p in book.listing("zh")} >= {";gr", ";ad", ";pt", ";cl"}
    assert book.get(";gr", "en").label_text("zh") == "问候"


def test_expand_fills_what_it_is_given_and_shows_what_is_missing(store):
    assert expand(";ad", "zh", store, address="龙蟠中路28号") == "跟您核对一下地址：龙蟠中路28号，对吗？"
    passed = expand(";pt", "en", store, department="Street Lighting Office")
    assert passed == ("I have passed this to the Street Lighting Office; you will hear back "
                      "within {days} working days.")
    assert expand(";gr", "zh", agent="0427").startswith("您好，12345")  # no store: built-ins
    assert expand(";zz", "zh", store) is None
    # Caller text goes in as one clean line.
    assert expand(";ad", "en", store, address="12 Main St\x1b[31m\nApt 4") == \
        "Let me read the address back to you: 12 Main St[31m Apt 4. Is that correct?"


def test_an_edited_phrase_is_a_new_version_and_survives_the_defaults(store):
    Phrasebook.load(store)
    with store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        assert save_phrase(conn, ";cl", "zh", "感谢来电，再见！") == 2
        assert save_phrase(conn, ";cl", "zh", "感谢来电，再见！") == 2  # same text: same version
        assert save_phrase(conn, ";wx", "zh", "您可以关注市政府微信公众号查询。", "微信") == 1
        conn.execute("COMMIT")
    book = Phrasebook.load(store)  # loading adds missing built-ins, never overwrites
    assert book.expand(";cl", "zh") == "感谢来电，再见！"
    assert [p.code for p in book.completions(";w", "zh")] == [";wt", ";wx"]
    assert book.get(";wx", "en").lang == "zh"  # only in Chinese: that one
