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
        assert isinstance(app.screen, IntakeScreen)
        assert screen.query_one("#description", TextArea).text == ""
        assert isinstance(screen.query_one("#status"), Static)
