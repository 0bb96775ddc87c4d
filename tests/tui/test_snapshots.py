"""Every screen at 80×24 (and one wider size): a reviewer compares the SVGs in tests/tui/__snapshots__."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent_tui.app import HotlineApp
from models.cases import add_note, file_case
from models.domain.case_shape import CaseDraft

from ..conftest import DEMO_END
from .conftest import wait_for, workers_done


def clock():
    return DEMO_END + timedelta(hours=2)


@pytest.fixture
def app_for(demo_store):
    def make(lang: str = "zh") -> HotlineApp:
        return HotlineApp(demo_store, lang=lang, agent="a01", clock=clock)

    return make


async def settle(pilot) -> None:
    """Let the debounced lookups fire and their workers finish, so the screen is what it will
    stay: the prior-cases panel and the suggestions come a quarter second after typing."""
    from agent_tui.screens.intake import DRAFT_DELAY, LOOKUP_DELAY

    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause(max(LOOKUP_DELAY, DRAFT_DELAY) + 0.15)
    await workers_done(pilot.app)
    await pilot.pause()


async def case_list(pilot) -> None:
    await pilot.press("f4")
    await settle(pilot)


def test_case_list_zh_80x24(snap_compare, app_for):
    """Recent cases, newest first, Chinese UI: number, time, status, caller, request; footer keys."""
    assert snap_compare(app_for("zh"), terminal_size=(80, 24), run_before=case_list)


def test_case_list_en_120x36(snap_compare, app_for):
    """The same list in English on a wider terminal: the request column takes the extra width."""
    assert snap_compare(app_for("en"), terminal_size=(120, 36), run_before=case_list)


def test_case_list_filtered_80x24(snap_compare, app_for):
    """`/` opens the filter; typing 马蜂窝 leaves only hornet-nest cases."""
    async def run(pilot):
        await case_list(pilot)
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
        await case_list(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


def test_help_80x24(snap_compare, app_for):
    """F1 over the case list: every key of the screen and the app."""
    async def run(pilot):
        await case_list(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(app_for("en"), terminal_size=(80, 24), run_before=run)


def test_empty_store_80x24(snap_compare, store):
    """A new terminal with no cases says how to start."""
    assert snap_compare(HotlineApp(store, lang="zh", agent="a01"), terminal_size=(80, 24),
                        run_before=case_list)


def test_intake_empty_zh_80x24(snap_compare, app_for):
    """The form a call starts on: ten fields in order, the prior-cases panel, the keys that matter."""
    assert snap_compare(app_for("zh"), terminal_size=(80, 24), run_before=settle)


def test_intake_repeat_caller_en_80x24(snap_compare, demo_store):
    """A known number: name filled, earlier cases listed with age, status, department, snippet."""
    file_case(demo_store, CaseDraft(caller_phone="13812345678", caller_name="Maria Lopez",
                                    description="Street light out at [b]Main St[/b]",
                                    address="Main Street", category="路灯", lead_department="路灯所"),
              "a01", at=DEMO_END)

    async def run(pilot):
        await pilot.press(*"13812345678")
        await pilot.pause(0.4)
        await settle(pilot)

    assert snap_compare(HotlineApp(demo_store, lang="en", agent="a01", clock=clock),
                        terminal_size=(80, 24), run_before=run)


def test_intake_problems_zh_80x24(snap_compare, app_for):
    """Ctrl+S on an incomplete dispatch (a department, no address, letters in the phone): each
    problem in Chinese, the fields marked, nothing lost."""
    async def run(pilot):
        await pilot.press(*"1381x", "enter", "enter", *"路灯不亮")
        pilot.app.screen.query_one("#departments").set_choice("street_light_office")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(app_for("zh"), terminal_size=(80, 24), run_before=run)


def test_intake_read_back_zh_80x24(snap_compare, app_for):
    """Before dispatch the address is read back, spaced character by character."""
    async def run(pilot):
        await pilot.press("enter", "enter", *"马蜂窝", "tab", *"大杨村28号")
        pilot.app.screen.query_one("#departments").set_choice(
            "street_office", ["traffic_police", "fire_brigade"])
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(app_for("zh"), terminal_size=(80, 24), run_before=run)


def test_intake_wide_120x36(snap_compare, demo_store):
    """On a wide terminal the prior-cases panel sits beside the form."""
    async def run(pilot):
        await pilot.press(*"13812345678")
        await pilot.pause(0.4)
        await settle(pilot)

    file_case(demo_store, CaseDraft(caller_phone="13812345678", caller_name="王女士",
                                    description="梦都大街路灯不亮", address="梦都大街", category="路灯",
                                    lead_department="路灯所"), "a01", at=DEMO_END)
    assert snap_compare(HotlineApp(demo_store, lang="zh", agent="a01", clock=clock),
                        terminal_size=(120, 36), run_before=run)


def test_drafts_80x24(snap_compare, store):
    """F3: calls put aside, newest first, to return to."""
    from models.store.drafts import Draft, new_draft

    draft = new_draft(store, "a01", CaseDraft(caller_phone="13900001111", caller_name="李先生",
                                              description="化粪池漫溢"))
    with store.writer() as s:  # a fixed time, so the screen reads the same every day
        row = s.get(Draft, draft.id)
        row.created_at = row.updated_at = DEMO_END
        s.add(row)
        s.commit()

    async def run(pilot):
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(HotlineApp(store, lang="zh", agent="a01"), terminal_size=(80, 24),
                        run_before=run)


def test_lead_scoreboard_zh_80x24(snap_compare, app_for):
    """F6, the lead's view on the department scoreboard over 30 days, ranked: 办结率, 按期率,
    退单率 (30 % and up in red), 满意率, 督办, and the completion bars under the table."""
    async def run(pilot):
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press(*["down"] * 10)  # from 待派单 (the first view shown) to 单位考评
        await settle(pilot)

    assert snap_compare(app_for("zh"), terminal_size=(80, 24), run_before=run)


def test_queue_en_80x24(snap_compare, store):
    """F7: the offline queue with one change the server rejected (and why) and one waiting."""
    from models.store.drafts import Draft  # noqa: F401  (tables registered)

    for text in ("Pothole on Main Street", "Street light out"):
        file_case(store, CaseDraft(description=text, disposition="answered"), "a01", at=DEMO_END)
    with store.raw() as conn:
        conn.execute("UPDATE outbox SET state = 'rejected', reason = 'unknown department: DOT2' "
                     "WHERE seq = (SELECT min(seq) FROM outbox)")
        conn.execute("UPDATE outbox SET created_at = '2026-03-10T09:00:00.000000Z'")

    async def run(pilot):
        await settle(pilot)  # the form's warm-up done first, as before any real F7
        await pilot.press("f7")
        await settle(pilot)
        # The list is read on a thread: on a loaded machine it may land after the first settle.
        table = pilot.app.screen.query_one("#queue")
        await wait_for(pilot, lambda: table.row_count == 2 and pilot.app.focused is table)
        await pilot.pause()

    assert snap_compare(HotlineApp(store, lang="en", agent="a01", clock=clock),
                        terminal_size=(80, 24), run_before=run)


@pytest.mark.parametrize("lang,text", [
    ("zh", "大杨村28号路边梧桐树上有一个马蜂窝，行人经过很危险"),
    ("en", "A hornet nest in the plane tree by the road at Dayang Village 28"),
], ids=["zh", "en"])
def test_intake_suggestion_to_accept_80x24(snap_compare, store, lang, text):
    """The seed's hornet nest: the departments field shows the suggested lead with its
    co-handlers and "Enter: accept"; the key bar shows Enter / Accept while it has focus."""
    from textual import events

    async def run(pilot):
        await pilot.press("tab", "tab")
        pilot.app.post_message(events.Paste(text))
        await settle(pilot)
        pilot.app.screen.query_one("#departments").focus()
        await settle(pilot)

    assert snap_compare(HotlineApp(store, lang=lang, agent="a01", clock=clock),
                        terminal_size=(80, 24), run_before=run)
