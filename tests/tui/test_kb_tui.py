"""The knowledge base in the TUI, driven with Pilot: outcomes checked in the store and on screen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import Input, Static, TextArea

from agent_tui.app import HotlineApp
from agent_tui.screens.article import ArticleScreen
from agent_tui.screens.case_view import CaseViewScreen
from agent_tui.screens.intake import IntakeScreen
from agent_tui.widgets.article_strip import ArticleStrip
from models.cases import timeline
from models.kb import import_articles
from models.kb.answers import answers_for_case
from models.kb.demo import DEMO_ARTICLES

from .test_intake import saved_cases, settle, shown

NOW = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)  # the heating season article is not valid yet


@pytest.fixture
def kb_store(store):
    report = import_articles(store, DEMO_ARTICLES)
    assert report.problems == []
    return store


def make_app(store, lang="zh"):
    return HotlineApp(store, lang=lang, agent="a01", clock=lambda: NOW)


def gap_calls(store, at) -> None:
    """A shift's calls: two answered from articles, three about something no article covers."""
    from datetime import timedelta

    from models.cases import file_case
    from models.domain.case_shape import CaseDraft
    from models.kb import AnsweredFrom

    for n, text in enumerate(("暂住证到哪里办", "居住证怎么申请")):
        file_case(store, CaseDraft(description=text, disposition="answered"), "a01",
                  at=at - timedelta(hours=3 + n), lang="zh",
                  answered_from=AnsweredFrom("residence-permit", 1, "居住证办理", "zh"))
    for n, text in enumerate(("市图书馆周一开门吗", "市图书馆几点闭馆", "市图书馆借书证丢了怎么补")):
        file_case(store, CaseDraft(description=text, disposition="answered"),
                  "a01", at=at - timedelta(hours=1 + n))


def strip_text(screen) -> str:
    return shown(screen.query_one(ArticleStrip))


async def test_answer_from_an_article_files_no_work_order_and_names_article_and_version(kb_store):
    app = make_app(kb_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("enter", "enter", *"请问暂住证怎么办理")
        await settle(pilot, 0.4)
        strip = screen.query_one(ArticleStrip)
        assert strip.display and strip.selected.id == "residence-permit"
        assert "居住证办理" in strip_text(screen)
        # Ctrl+G opens it read-only; Ctrl+T there answers the call from it.
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen)
        body = shown(app.screen.query_one("#article-text"))
        assert "居住证" in body
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#disposition").value == "answered"
        assert screen.query_one("#notes", Input).value.startswith("答复：")
        assert screen.query_one("#departments").lead == ""
        await pilot.press("ctrl+s")
        await settle(pilot, 0.2)
        assert "不派单" not in shown(screen.query_one("#status"))  # the saved line now
    [case] = saved_cases(kb_store)
    assert case.disposition == "answered" and case.status == "closed"
    assert case.lead_department == "" and case.due_at is None
    created = timeline(kb_store, case.id)[0]
    assert (created.data["kb_article"], created.data["kb_version"]) == ("residence-permit", 1)
    [answer] = answers_for_case(kb_store, case.id)
    assert answer["article_id"] == "residence-permit" and answer["question"] == "请问暂住证怎么办理"
    # The case's timeline says which article and version answered it.
    app = make_app(kb_store)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(CaseViewScreen(case.id))
        await settle(pilot)
        text = shown(app.screen.query_one("#case-timeline"))
        assert "依据知识 residence-permit 第 1 版答复" in text


async def test_an_article_not_in_force_is_marked_and_not_answered_from(kb_store):
    app = make_app(kb_store, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("enter", "enter", *"2024 heating subsidy application")
        await settle(pilot, 0.4)
        strip = screen.query_one(ArticleStrip)
        assert strip.selected.id == "heating-subsidy-2024-en"
        assert "[expired]" in strip_text(screen)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "expired" in shown(screen.query_one("#status"))
        assert screen.query_one("#disposition").value == "dispatch" and screen.answered is None
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "[expired]" in shown(app.screen.query_one("#article-head"))


async def test_the_keys_show_only_with_articles_and_the_article_goes_with_a_new_call(kb_store):
    app = make_app(kb_store, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, 0.3)
        assert "Answer" not in shown(screen.query_one("KeyBar"))
        await pilot.press("enter", "enter", *"how do I pay house taxes")
        await settle(pilot, 0.4)
        assert "^t Answer" in shown(screen.query_one("KeyBar"))
        await pilot.press("ctrl+t")
        assert screen.answered is not None and screen.answered.article_id == "property-tax-en"
        await pilot.press("f2")
        await settle(pilot, 0.4)
        assert screen.answered is None and not screen.query_one(ArticleStrip).display
        assert "Answer" not in shown(screen.query_one("KeyBar"))
        assert isinstance(app.screen, IntakeScreen)
        assert screen.query_one("#description", TextArea).text == ""
        assert isinstance(screen.query_one("#status"), Static)


async def test_the_knowledge_screen_searches_in_both_languages_and_by_initials(kb_store):
    from agent_tui.screens.knowledge import KnowledgeScreen

    app = make_app(kb_store)
    async with app.run_test(size=(80, 24)) as pilot:
        intake = app.screen
        await settle(pilot, 0.3)
        await pilot.press("f9")
        await settle(pilot, 0.3)
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen)
        assert len(screen.rows) == 52 and screen.rows[0].id in {r.id for r in screen.rows
                                                                 if not r.id.endswith("-en")}
        for query, first in (("医保卡丢了", "social-security-card-loss"), ("jzzbl", "residence-permit"),
                             ("couch pickup", "bulky-item-pickup-en")):
            await pilot.press("slash")
            assert app.focused.id == "kb-query"
            screen.query_one("#kb-query", Input).value = ""
            await pilot.press(*query, "enter")
            await settle(pilot, 0.3)
            assert screen.rows[0].id == first, (query, [r.id for r in screen.rows[:3]])
            assert app.focused.id == "kb-results"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen)
        assert "Bulky item pickup" in shown(app.screen.query_one("#article-head"))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is intake


async def test_typing_on_the_article_list_searches(kb_store):
    """F9 then the caller's question, typed at once: the first character goes to the search
    field (no `/` first), and the rest follow it there."""
    from agent_tui.screens.knowledge import KnowledgeScreen

    app = make_app(kb_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await pilot.press("f9")
        await settle(pilot, 0.3)
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen) and app.focused.id == "kb-results"
        await pilot.press(*"my water is off", "enter")
        await settle(pilot, 0.3)
        assert screen.query_one("#kb-query", Input).value == "my water is off"
        assert screen.rows[0].id == "water-outage-en", [r.id for r in screen.rows[:3]]


async def test_gaps_from_the_lead_review_cycle_periods_and_export_a_private_csv(demo_store):
    import csv
    import stat
    from datetime import timedelta

    from agent_tui.screens.kb_gaps import KbGapsScreen
    from agent_tui.screens.lead import LeadScreen

    from ..conftest import DEMO_END

    gap_calls(demo_store, DEMO_END)
    app = HotlineApp(demo_store, lang="zh", agent="a01", clock=lambda: DEMO_END + timedelta(hours=2))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        lead = app.screen
        # at 80 columns the lead's own keys fill the bar; g is bound and listed under F1
        from agent_tui import actions

        assert isinstance(lead, LeadScreen)
        assert "kb_gaps" in {a.id for a, _binding, enabled in actions.reachable(lead) if enabled}
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, KbGapsScreen) and screen.days == 7
        assert "近 7 天" in shown(screen.query_one("#gaps-title"))
        asked, missing = screen.shown.asked, screen.shown.missing
        assert asked[0].article_id == "residence-permit" and asked[0].answers >= 2
        assert any("图书馆" in g.topic for g in missing), [g.topic for g in missing]
        assert screen.query_one("#gaps-missing").row_count == len(missing)
        await pilot.press("p")
        await settle(pilot)
        assert screen.days == 30 and "近 30 天" in shown(screen.query_one("#gaps-title"))
        assert sum(g.calls for g in screen.shown.missing) >= sum(g.calls for g in missing)
        await pilot.press("p")
        await settle(pilot)
        assert screen.days == 1 and "今天" in shown(screen.query_one("#gaps-title"))
        await pilot.press("p", "e")
        await settle(pilot)
        status = shown(screen.query_one("#gaps-status"))
        [path] = list((demo_store.data_dir / "exports").glob("kb-gaps-7d-*.csv"))
        assert str(path.name) in status.replace("\n", "")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with open(path, encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == len(asked) + len(missing)
        assert {r["kind"] for r in rows} == {"answered_from_article", "no_article"}
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is lead


async def test_quick_phrases_expand_on_tab_and_tab_still_moves_on_otherwise(kb_store):
    from models.kb.phrases import save_phrase

    with kb_store.raw() as conn:  # the store's list is the one used: an edited phrase
        conn.execute("BEGIN IMMEDIATE")
        save_phrase(conn, ";lib", "zh", "图书馆开放时间为每天9:00至21:00。")
        conn.execute("COMMIT")
    app = make_app(kb_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, 0.3)
        await pilot.press("tab")  # nothing typed: Tab moves on as always
        assert app.focused.id == "name"
        await pilot.press(*";xx", "tab")  # not a code any phrase has: moves on, text kept
        assert app.focused.id == "description"
        assert screen.query_one("#name", Input).value == ";xx"
        await pilot.press(*"来电人问;gr", "tab")
        description = screen.query_one("#description", TextArea)
        assert app.focused is description
        assert description.text == "来电人问您好，12345政务服务便民热线，工号a01为您服务，请问有什么可以帮您？"
        await pilot.press("tab", *";ad", "tab")  # the address read-back, filled from the form
        address = screen.query_one("#address", Input)
        assert address.value == "跟您核对一下地址：{address}，对吗？"
        address.value = "龙蟠中路28号"
        screen.query_one("#notes", Input).focus()
        await pilot.press(*";ad", "tab", *";lib", "tab")
        assert screen.query_one("#notes", Input).value == (
            "跟您核对一下地址：龙蟠中路28号，对吗？图书馆开放时间为每天9:00至21:00。")
        assert app.focused.id == "notes"
        await pilot.press("tab")
        assert app.focused.id != "notes"


async def test_a_quick_phrase_works_in_the_case_views_note_too(kb_store):
    from models.cases import file_case
    from models.domain.case_shape import CaseDraft

    case = file_case(kb_store, CaseDraft(description="Street light out", disposition="answered"),
                     "a01")
    app = make_app(kb_store, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        app.push_screen(CaseViewScreen(case.id))
        await settle(pilot)
        await pilot.press("n", *"Called back;cl", "tab")
        note = app.screen.query_one("#note", Input)
        assert note.value == "Called backThank you for calling. Have a good day. Goodbye."
        assert app.focused is note


async def test_n_steps_to_the_next_offered_article_and_ctrl_t_answers_from_that_one(kb_store):
    app = make_app(kb_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("enter", "enter", *"暖气什么时候开始烧")
        await settle(pilot, 0.4)
        assert [h.id for h in screen.query_one(ArticleStrip).hits] == ["heating-season",
                                                                       "heating-not-warm"]
        assert "[尚未生效]" in strip_text(screen)  # the season's article is for next winter
        await pilot.press("ctrl+g")
        await settle(pilot)
        article = app.screen
        assert "供暖季起止时间" in shown(article.query_one("#article-head"))
        await pilot.press("n")
        await settle(pilot)
        assert "暖气不热怎么办" in shown(article.query_one("#article-head"))
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.screen is screen
        assert screen.answered.article_id == "heating-not-warm"
        assert screen.query_one("#disposition").value == "answered"
