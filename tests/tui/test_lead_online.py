"""The lead's terminal against a real server: the role comes from the server (so the case view
offers a lead's steps), a step taken in the TUI reaches the server, the queues are the server's
(every terminal's cases), and the terminals view reads every terminal's sync health from the
server, the silent ones first."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, OptionList, Static

from agent_tui.app import HotlineApp
from agent_tui.screens.case_view import CaseViewScreen
from agent_tui.screens.lead import VIEWS, LeadScreen
from models.cases import file_case
from models.domain.case_shape import CaseDraft

from ..sync.sync_fixtures import db_url, make_user, server, terminal  # noqa: F401
from .conftest import wait_for
from .test_intake import shown
from .test_lead import settle


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_lead_online_role_steps_and_terminals(server, make_user, terminal):  # noqa: F811
    from sync.client.queue import ROLE
    from sync.client.worker import SyncWorker

    lead_token = make_user("lead1", "lead")
    agent_token = make_user("a01", "agent")
    other = terminal("t2", "T02")  # an agent's terminal that synced once, then went silent
    file_case(other, CaseDraft(caller_phone="13900000001", description="路灯不亮",
                               address="梦都大街", category="路灯", lead_department="路灯所"), "a01")
    waiting = file_case(other, CaseDraft(caller_phone="13900000003", description="楼道灯坏了",
                                         address="大杨村3号"), "a01")  # no department: awaiting
    SyncWorker(other, server.url, agent_token).engine.sync_once()
    store = terminal("lead", "L01")
    case = file_case(store, CaseDraft(caller_phone="13900000002", description="马蜂窝",
                                      address="大杨村28号", category="马蜂窝", lead_department="街道"),
                     "lead1")

    app = HotlineApp(store, lang="en", agent="lead1",
                     start_sync=lambda: SyncWorker(store, server.url, lead_token,
                                                   interval=0.5, poll=0.2).start())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: store.get_meta(ROLE) == "lead"
                       and app.sync_worker is not None and app.sync_worker.pending() == 0, 15)
        app.push_screen(CaseViewScreen(case.id))
        await settle(pilot)
        assert "a Accept" in shown(app.screen.query_one("KeyBar"))  # a lead's step, not an agent's
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"call the department", "enter", "enter")
        await settle(pilot)
        await wait_for(pilot, lambda: app.sync_worker.pending() == 0, 15)
        found = app.sync_worker.engine.api.get(f"/v1/cases/{case.id}")
        assert [e["kind"] for e in found["events"]][-1] == "supervised"
        assert found["case"]["supervised_count"] == 1

        await pilot.press("escape", "f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LeadScreen)
        screen.query_one("#lead-views", OptionList).highlighted = VIEWS.index("awaiting_dispatch")
        await settle(pilot)
        assert "server data" in shown(screen.query_one("#lead-head", Static))
        table = screen.query_one("#lead-table", DataTable)
        assert waiting.case_no in [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert screen.counts["awaiting_dispatch"] == table.row_count == 1

        screen.query_one("#lead-views", OptionList).highlighted = VIEWS.index("terminals")
        await settle(pilot)
        assert "server data" in shown(screen.query_one("#lead-head", Static))
        table = screen.query_one("#lead-table", DataTable)
        users = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert set(users) == {"a01", "lead1"}
        assert users[0] == "a01"  # the longest silent first
