"""Every screen at 80×24 (and one wider size): a reviewer compares the SVGs in tests/__snapshots__."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from agent_tui.app import HotlineApp
from models.cases import CaseDraft, add_note, file_case

from .conftest import DEMO_END


@pytest.fixture
def app_for(demo_store):
    def make(lang: str = "zh") -> HotlineApp:
        return HotlineApp(demo_store, lang=lang, agent="a01")

    return make


async def settle(pilot) -> None:
    for widget in pilot.app.query(Input):
        widget.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_case_list_zh_80x24(snap_compare, app_for):
    """Recent cases, newest first, Chinese UI: number, time, status, caller, request; footer keys."""
    assert snap_compare(app_for("zh"), terminal_size=(80, 24), run_before=settle)


def test_case_list_en_120x36(snap_compare, app_for):
    """The same list in English on a wider terminal: the request column takes the extra width."""
    assert snap_compare(app_for("en"), terminal_size=(120, 36), run_before=settle)


def test_case_list_filtered_80x24(snap_compare, app_for):
    """`/` opens the filter; typing 马蜂窝 leaves only hornet-nest cases."""
    async def run(pilot):
        await pilot.press("slash", *"马蜂窝")
        await settle(pilot)

    assert snap_compare(app_for("zh"), terminal_size=(80, 24), run_before=run)


def test_case_view_80x24(snap_compare, demo_store):
    """A case with co-handling departments, a due date and a note whose text holds markup."""
    case = file_case(demo_store, CaseDraft(
        caller_phone="13812345678", caller_name="王女士", description="大杨村28号路边梧桐树上有一个马蜂窝 [bold]急[/]",
        address="大杨村28号", location_kind="public_road", category="马蜂窝", lead_department="街道",
        co_departments=["交警", "消防"], urgency="urgent"), "a01", at=DEMO_END)
    add_note(demo_store, case.id, "树很高，需要云梯 [link=x]", "a01", at=DEMO_END)
    app = HotlineApp(demo_store, lang="zh", agent="a01")

    async def run(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


def test_help_80x24(snap_compare, app_for):
    """F1 over the case list: every key of the screen and the app."""
    async def run(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(app_for("en"), terminal_size=(80, 24), run_before=run)


def test_empty_store_80x24(snap_compare, store):
    """A new terminal with no cases says how to start."""
    assert snap_compare(HotlineApp(store, lang="zh", agent="a01"), terminal_size=(80, 24),
                        run_before=settle)
