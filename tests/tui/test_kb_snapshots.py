"""The knowledge base's screens at 80×24, in Chinese and English: a reviewer compares the SVGs.

The demo store (its articles, 120 cases) at the demo's clock: the 2026-27 heating season article
is not valid yet and the 2024 heating subsidy has expired, so both states show."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent_tui.app import HotlineApp

from ..conftest import DEMO_END
from .test_kb_tui import gap_calls
from .test_snapshots import settle

QUESTION = {"zh": "暖气什么时候开始烧", "en": "when does the heating come on"}
SEARCH = {"zh": "医保卡丢了", "en": "couch pickup"}


def clock():
    return DEMO_END + timedelta(hours=2)


def app_for(store, lang: str) -> HotlineApp:
    return HotlineApp(store, lang=lang, agent="a01", clock=clock)


async def describe(pilot, lang: str) -> None:
    await pilot.press("enter", "enter", *QUESTION[lang])
    await settle(pilot)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_intake_with_articles_80x24(snap_compare, demo_store, lang):
    """A question typed: the similar cases, then the articles that answer it, matched words
    reversed, the one not yet in force marked; ^g and ^t on the key bar."""
    assert snap_compare(app_for(demo_store, lang), terminal_size=(80, 24),
                        run_before=lambda pilot: describe(pilot, lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_article_open_80x24(snap_compare, demo_store, lang):
    """Ctrl+G on the strip: the article read-only, its state first (not yet valid), the short
    answer, the details; ^t answers from it."""
    async def run(pilot):
        await describe(pilot, lang)
        await pilot.press("ctrl+g")
        await settle(pilot)

    assert snap_compare(app_for(demo_store, lang), terminal_size=(80, 24), run_before=run)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_knowledge_search_80x24(snap_compare, demo_store, lang):
    """F9 then / and a question in the caller's words: the articles best first, with state and
    owner."""
    async def run(pilot):
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("slash", *SEARCH[lang], "enter")
        await settle(pilot)

    assert snap_compare(app_for(demo_store, lang), terminal_size=(80, 24), run_before=run)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kb_gaps_80x24(snap_compare, demo_store, lang):
    """F6 then g: the questions asked most in the last 7 days and the calls no article matched,
    by topic."""
    gap_calls(demo_store, DEMO_END)

    async def run(pilot):
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)

    assert snap_compare(app_for(demo_store, lang), terminal_size=(80, 24), run_before=run)
