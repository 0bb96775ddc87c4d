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
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LeadScreen)
        views = app.screen.query_one("#lead-views", OptionList)
        assert "未同步" in str(views.get_option_at_index(0).prompt)
        await pilot.press("down", "down", "down")  # 已超期
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#lead-table", DataTable)
        with demo_store.session() as s:
            expected = len(lead_review.queue_cases(s, "overdue", clock()))
        assert table.row_count == expected
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "CaseViewScreen"
