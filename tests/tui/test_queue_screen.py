"""F7, the offline queue as the agent sees it: what waits, what the server refused and why."""

from __future__ import annotations

from textual.widgets import DataTable

from agent_tui.app import HotlineApp
from agent_tui.screens.queue import QueueScreen
from models.cases import file_case
from models.domain.case_shape import CaseDraft

from .conftest import workers_done


def _reject_first(store, reason: str) -> None:
    with store.raw() as conn:
        conn.execute("UPDATE outbox SET state = 'rejected', reason = ? "
                     "WHERE seq = (SELECT min(seq) FROM outbox)", (reason,))


def _outbox(store) -> list[tuple[int, str]]:
    with store.raw() as conn:
        return conn.execute("SELECT seq, state FROM outbox ORDER BY seq").fetchall()


async def test_queue_lists_waiting_and_rejected_and_dismisses_only_rejected(store):
    file_case(store, CaseDraft(description="路灯不亮 [bold]x[/]", disposition="answered"), "a01")
    file_case(store, CaseDraft(description="化粪池漫溢", disposition="answered"), "a01")
    _reject_first(store, "department unknown on the server: 魔法部")
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f7")
        await workers_done(app)
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [str(r[2]) for r in rows] == ["rejected", "waiting"]
        assert str(rows[0][4]) == "department unknown on the server: 魔法部"
        await pilot.press("down", "d")  # a waiting change cannot be dismissed
        await workers_done(app)
        await pilot.pause()
        assert [state for _, state in _outbox(store)] == ["rejected", "pending"]
        await pilot.press("up", "d")
        await workers_done(app)
        await pilot.pause()
        assert table.row_count == 1
    assert [state for _, state in _outbox(store)] == ["pending"]
