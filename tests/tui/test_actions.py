"""The action registry drives the keys: the agent's key map, the key bar, F1 and the palette."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Input, Static

from agent_tui import actions
from agent_tui.app import HotlineApp
from agent_tui.palette import ActionsProvider
from agent_tui.screens.case_list import CaseListScreen
from agent_tui.screens.queue import QueueScreen

from .test_intake import settle, shown


def test_every_action_has_its_words_and_a_scope_that_exists():
    from agent_tui.i18n import STRINGS

    scopes = {"app", "intake", "case_list", "case_view", "queue", "lead", "drafts", "help",
              "knowledge", "article", "kb_gaps",
              "read_back", "quit_confirm", "picker_screen", "picker", "callbacks", "step_dialog"}
    for action in actions.ACTIONS:
        assert action.label in STRINGS, action.id
        assert set(action.scopes) <= scopes, action.id
    assert len({a.id for a in actions.ACTIONS}) == len(actions.ACTIONS)


async def test_a_key_map_from_the_settings_moves_an_action(store):
    app = HotlineApp(store, lang="en", agent="a01", keymap={"new_call": "f9", "cases": "f11"})
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, 0.3)
        assert "f9 New call" in shown(screen.query_one("KeyBar"))
        await pilot.press(*"13900001111")
        await pilot.press("f2")  # no longer bound
        assert screen.query_one("#phone", Input).value == "13900001111"
        await pilot.press("f9")
        assert screen.query_one("#phone", Input).value == ""
        await pilot.press("f11")
        await settle(pilot)
        assert isinstance(app.screen, CaseListScreen)
        await pilot.press("f1")
        await pilot.pause()
        help_text = shown(app.screen.query_one(Static))
        assert "f11" in help_text and "Cases" in help_text and "f4" not in help_text


async def test_navigation_works_from_any_screen_and_comes_home(store):
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        intake = app.screen
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7")  # from the case list straight to the queue
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen_stack[-2] is intake  # not stacked on the case list
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is intake and app.focused.id == "phone"


async def test_the_palette_lists_every_action_of_the_screen_in_its_language(store):
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        provider = ActionsProvider(app.screen)
        listed = {title: key async for title, key in _discovered(provider)}
        for words, key in (("保存", "^s"), ("新来电", "f2"), ("工单", "f4"), ("并入此单", "f5"),
                           ("同步队列", "f7"), ("退出", "^q")):
            assert listed.get(words) == key, (words, listed)
        hits = [hit async for hit in provider.search("同步")]
        assert [str(hit.text) for hit in hits] == ["同步队列"]
        await hits[0].command()  # runs the action, as choosing it in the palette does
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def _discovered(provider):
    async for hit in provider.discover():
        yield str(hit.text), hit.help
