"""The shift lead's review: queue counts and members, scoreboard and hot spots from real stores."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from textual.widgets import DataTable, OptionList

from agent_tui.app import HotlineApp
from agent_tui.screens.lead import LeadScreen
from models.cases import attach_repeat_call, file_case, lead_review
from models.domain.case_shape import CaseDraft
from models.store.tables import Case

from ..conftest import DEMO_END


def clock():
    return DEMO_END + timedelta(hours=2)


def test_queues_follow_their_rules(demo_store):
    at = clock()
    with demo_store.session() as s:
        counts = lead_review.queue_counts(s, at)
        overdue = lead_review.queue_cases(s, "overdue", at)
        returned = lead_review.queue_cases(s, "returned", at)
        everything = s.exec(select(Case)).all()
    assert counts["overdue"] == len(overdue) > 0
    assert all(c.due_at < at and c.status not in ("resolved", "closed") for c in overdue)
    assert all(c.status == "returned" for c in returned)
    assert counts["returned"] == sum(c.status == "returned" for c in everything)
    assert counts["unsynced"] == len(everything)  # local mode: nothing is on a server yet


def test_repeat_calls_and_hot_spots(store):
    first = None
    for i in range(4):
        case = file_case(store, CaseDraft(caller_phone=f"1390000000{i}", description="梦都大街路灯不亮",
                                          address="梦都大街", category="路灯", lead_department="路灯所"),
                         "a01", at=DEMO_END + timedelta(minutes=i))
        first = first or case
    attach_repeat_call(store, first.id, "a01", phone="13900000009", note="又打来了")
    with store.session() as s:
        spots = lead_review.hot_spots(s, clock())
        repeats = lead_review.queue_cases(s, "repeat_calls", clock())
        board = lead_review.scoreboard(s, clock())
    assert (spots[0].address, spots[0].category, spots[0].cases, spots[0].callers) == (
        "梦都大街", "street_light", 4, 4)
    assert [c.id for c in repeats] == [first.id]
    assert board[0].department == "street_light_office" and board[0].assigned == 4


async def test_lead_screen_lists_queues_and_opens_a_case(demo_store):
    app = HotlineApp(demo_store, lang="zh", agent="lead", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await workers_done(app)
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)
        views = app.screen.query_one("#lead-views", OptionList)
        assert "未同步" in str(views.get_option_at_index(0).prompt)
        await pilot.press("down", "down")  # from 待派单 (the first view shown) to 已超期
        await workers_done(app)
        await pilot.pause()
        table = app.screen.query_one("#lead-table", DataTable)
        with demo_store.session() as s:
            expected = len(lead_review.queue_cases(s, "overdue", clock()))
        assert table.row_count == expected
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "CaseViewScreen"


async def test_back_from_a_case_the_queues_are_counted_again(demo_store):
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    with demo_store.session() as s:
        returned = len(lead_review.queue_cases(s, "returned", clock()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, "returned")
        assert screen.counts["returned"] == returned
        await pilot.press("enter")  # the first returned case
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press(*"cgj", "enter")
        await settle(pilot)
        await pilot.press("escape")  # back to F6
        await settle(pilot)
        assert app.screen is screen
        assert screen.counts["returned"] == returned - 1
        assert screen.query_one("#lead-table", DataTable).row_count == returned - 1


# --- acting on the queues -------------------------------------------------------------------

import os  # noqa: E402
import stat  # noqa: E402

from sqlmodel import col  # noqa: E402
from textual.widgets import Static  # noqa: E402

from models.store.outbox import Outbox  # noqa: E402
from models.store.tables import CaseEvent  # noqa: E402

from .conftest import workers_done  # noqa: E402
from .test_intake import shown  # noqa: E402


def as_lead(store) -> None:
    from sync.client.queue import ROLE

    store.set_meta(ROLE, "lead")


async def settle(pilot) -> None:
    """Until no worker runs, three times over (a finished view may start another)."""
    for _ in range(3):
        await pilot.pause()
        await workers_done(pilot.app)
    await pilot.pause()


async def open_view(pilot, view: str) -> LeadScreen:
    from agent_tui.screens.lead import VIEWS

    await pilot.press("f6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LeadScreen)
    views = screen.query_one("#lead-views", OptionList)
    views.highlighted = VIEWS.index(view)
    await settle(pilot)
    await pilot.press("enter")  # into the table
    await settle(pilot)
    return screen


def head(screen) -> str:
    return shown(screen.query_one("#lead-head", Static))


def status(screen) -> str:
    return shown(screen.query_one("#lead-status", Static))


async def test_marked_returned_cases_are_redispatched_together(demo_store):
    as_lead(demo_store)
    with demo_store.session() as s:
        returned = lead_review.queue_cases(s, "returned", clock())
    assert len(returned) >= 3
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, "returned")
        table = screen.query_one("#lead-table", DataTable)
        assert table.row_count == len(returned)
        first_row = [c.plain for c in table.get_row_at(0)]
        assert first_row[1] == returned[0].case_no and first_row[2] == "Back"
        await pilot.press("space", "space")  # mark two rows
        await pilot.pause()
        assert "2 marked" in head(screen)
        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "DepartmentPickerScreen"
        await pilot.press(*"cgj", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert "2 of 2 cases done" in status(screen)
        assert table.row_count == len(returned) - 2
    with demo_store.session() as s:
        for case in returned[:2]:
            after = s.get(Case, case.id)
            assert after.status == "dispatched" and after.lead_department == "chengguan"
            kinds = [e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))]
            assert "redispatched" in kinds
            queued = s.exec(select(Outbox).where(Outbox.case_id == case.id)
                            .order_by(col(Outbox.seq).desc())).first()
            assert queued.payload["event"]["kind"] == "redispatched"
        assert s.get(Case, returned[2].id).status == "returned"


async def test_supervise_the_current_overdue_case_and_refusals_are_named(demo_store):
    as_lead(demo_store)
    with demo_store.session() as s:
        overdue = lead_review.queue_cases(s, "overdue", clock())
    app = HotlineApp(demo_store, lang="zh", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, "overdue")
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"今天必须处理", "enter", "enter")  # a note, no new deadline
        await settle(pilot)
        assert "1 件中完成 1 件" in status(screen)
        assert "已标记" not in head(screen)
    with demo_store.session() as s:
        after = s.get(Case, overdue[0].id)
        assert after.supervised_count == overdue[0].supervised_count + 1
        counts = lead_review.queue_counts(s, clock())
    assert counts["supervised"] >= 1


async def test_assign_callbacks_then_the_agent_sees_who_calls(demo_store):
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    with demo_store.session() as s:
        due = lead_review.queue_cases(s, "callbacks_due", clock())
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_view(pilot, "callbacks_due")
        await pilot.press("space", "space", "space", "a")
        await pilot.pause()
        await pilot.press(*"a07", "enter")
        await settle(pilot)
        assert "3 of 3 cases done" in status(screen)
        table = screen.query_one("#lead-table", DataTable)
        assert "a07" in [c.plain for c in table.get_row_at(0)]
    with demo_store.session() as s:
        assigned = lead_review.callback_assignees(s, [c.id for c in due])
        note = s.exec(select(CaseEvent).where(CaseEvent.case_id == due[0].id)
                      .where(CaseEvent.kind == "note")).first()
    assert assigned == {c.id: "a07" for c in due[:3]}
    assert note.note == "Callback assigned to a07"


async def test_export_scoreboard_period_hot_spots_and_terminals(demo_store):
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, "overdue")
        await pilot.press("x")
        await settle(pilot)
        said = status(screen)
        assert said.startswith("Exported ")
        path = said.split(" to ", 1)[1].split()[0]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        with demo_store.session() as s:
            overdue = lead_review.queue_cases(s, "overdue", clock())
        assert lines[0] == "case_no,status,due_at,department,description"
        assert len(lines) == len(overdue) + 1 and lines[1].startswith(overdue[0].case_no)

        screen.query_one("#lead-views", OptionList).highlighted = 11  # scoreboard
        await settle(pilot)
        assert "30 days" in head(screen)
        assert "█" in shown(screen.query_one("#lead-chart", Static))
        await pilot.press("p")  # after 30 days: a custom period, asked
        await settle(pilot)
        assert type(app.screen).__name__ == "DaysDialog"
        await pilot.press(*"400", "enter")
        await settle(pilot)
        assert app.screen is screen and "400 days" in head(screen)
        with demo_store.session() as s:
            assert len(lead_review.scoreboard(s, clock(), 400)) == \
                screen.query_one("#lead-table", DataTable).row_count
        await pilot.press("p")
        await settle(pilot)
        assert "today" in head(screen)

        screen.query_one("#lead-views", OptionList).highlighted = 12  # hot spots
        await settle(pilot)
        with demo_store.session() as s:
            spots = lead_review.hot_spots(s, clock())
        table = screen.query_one("#lead-table", DataTable)
        assert table.row_count == len(spots) > 0
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count == spots[0].cases
        assert f"{spots[0].cases} cases" in head(screen)
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == len(spots)

        screen.query_one("#lead-views", OptionList).highlighted = 13  # terminals
        await settle(pilot)
        assert "offline, local data" in head(screen)
        assert table.row_count == 1


def test_department_names_in_a_narrow_column_stay_told_apart():
    """Street Office and Street Lighting Office were both "Street…" in the lead's queues: a
    name that does not fit loses its generic words first, then is cut where the width ends."""
    from agent_tui.display import clip_name

    shown = {name: clip_name(name, 10).plain for name in (
        "Street Office", "Street Lighting Office", "Ecology and Environment Bureau",
        "Housing Bureau", "路灯管理处", "市场监督管理局", "NYPD", "[b]x[/b] \x1b[31mred")}
    assert shown == {
        "Street Office": "Street", "Street Lighting Office": "Street Li…",
        "Ecology and Environment Bureau": "Ecology E…", "Housing Bureau": "Housing",
        "路灯管理处": "路灯管理处", "市场监督管理局": "市场监督…", "NYPD": "NYPD",
        "[b]x[/b] \x1b[31mred": "[b]x[/b]…"}  # literal: no markup, no escape


async def test_dispatching_one_awaiting_case_from_f6_offers_its_suggestions(demo_store):
    """From the awaiting-dispatch queue, d on one case opens the picker with the routing
    suggestions for that case's text; with several marked there is no one text to suggest for."""
    as_lead(demo_store)
    case = file_case(demo_store, CaseDraft(
        caller_phone="13912345678", description="Street lights on 2111 W Bellevue Ave have been "
        "dark for over a week", address="2111 W Bellevue Ave", location_kind="public_road"),
        "agent1", clock())
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, "awaiting_dispatch")
        table = screen.query_one("#lead-table", DataTable)
        table.move_cursor(row=table.get_row_index(case.id))
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        options = app.screen.query_one("#picker-options", OptionList)
        first = str(options.get_option_at_index(0).prompt)
        assert first.strip().startswith("Street Lighting Office") and "suggested" in first
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
    with demo_store.session() as s:
        after = s.get(Case, case.id)
    assert (after.status, after.lead_department) == ("dispatched", "street_light_office")
