"""The lifecycle screens at 80x24, in both languages: the case view with its step keys, each
kind of step dialog, a refusal, the F8 callback queue, and each kind of lead view (a queue,
the scoreboard with its chart, hot spots and one hot spot's cases, terminals)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from agent_tui.app import HotlineApp
from agent_tui.screens.case_view import CaseViewScreen
from models.store.tables import Case

from ..conftest import DEMO_END
from .test_snapshots import settle

SIZE = (80, 24)


def clock():
    return DEMO_END + timedelta(hours=2)


def as_lead(store) -> None:
    from sync.client.queue import ROLE

    store.set_meta(ROLE, "lead")


def first(store, status: str) -> str:
    with store.session() as s:
        return s.exec(select(Case.id).where(Case.status == status)
                      .order_by(col(Case.case_no))).first()


def opening(case_id: str, *keys: str):
    async def run(pilot):
        await settle(pilot)
        pilot.app.push_screen(CaseViewScreen(case_id))
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        for widget in pilot.app.screen.query("Input"):
            widget.cursor_blink = False
    return run


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_case_view_resolved_agent(snap_compare, demo_store, lang):
    """A resolved case for an agent: its resolution shown; the bar offers Callback, Reopen,
    Close (and notes), nothing a department does."""
    app = HotlineApp(demo_store, lang=lang, agent="a01", clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(first(demo_store, "resolved")))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_case_view_dispatched_lead(snap_compare, demo_store, lang):
    """A dispatched case for a lead: accept, return, progress, resolve, supervise, extension
    keys on the bar (cut at the right edge by the bar's ellipsis, the rest in F1)."""
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang=lang, agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(first(demo_store, "dispatched")))


def test_case_view_refused_zh(snap_compare, demo_store):
    """An agent presses `s` (resolve) on a dispatched case: the status line names the state
    and the steps allowed, in Chinese; nothing is saved."""
    app = HotlineApp(demo_store, lang="zh", agent="a01", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=opening(first(demo_store, "dispatched"), "s"))


def test_callback_dialog_zh(snap_compare, demo_store):
    """`c` on a resolved case, then 3: 不满意 chosen, the note box ready."""
    app = HotlineApp(demo_store, lang="zh", agent="a01", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=opening(first(demo_store, "resolved"), "c", "3"))


def test_return_dialog_en(snap_compare, demo_store):
    """`t` (return) for a lead: the five reason codes, the note below."""
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=opening(first(demo_store, "dispatched"), "t"))


def test_supervise_dialog_zh(snap_compare, demo_store):
    """`u` (督办): a required note and an optional new deadline."""
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang="zh", agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=opening(first(demo_store, "dispatched"), "u", *"今天处理"))


def test_field_dialog_en(snap_compare, demo_store):
    """`f`: the fields an agent corrects, the address chosen and prefilled."""
    app = HotlineApp(demo_store, lang="en", agent="a01", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=opening(first(demo_store, "dispatched"), "f"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_callback_queue(snap_compare, demo_store, lang):
    """F8: the first call up (number, what was done, the three answers), the queue below,
    oldest resolution first."""
    async def run(pilot):
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        for widget in pilot.app.screen.query("Input"):
            widget.cursor_blink = False

    app = HotlineApp(demo_store, lang=lang, agent="a01", clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=run)


def lead_view(index: int, *keys: str):
    async def run(pilot):
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        pilot.app.screen.query_one("#lead-views").highlighted = index
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
    return run


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lead_returned_queue(snap_compare, demo_store, lang):
    """F6, the returned queue: number, short state, due, department, reason, the start of
    the description; two rows marked."""
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang=lang, agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=lead_view(2, "enter", "space", "space"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lead_scoreboard_chart(snap_compare, demo_store, lang):
    """The scoreboard (Enter: the table takes the width) over 7 days (`p` after 30 days asks
    for a custom period: 7): ranked, rates, supervised count, completion bars in eighths of a
    cell."""
    app = HotlineApp(demo_store, lang=lang, agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=lead_view(11, "enter", "p", "7", "enter"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lead_hot_spots(snap_compare, demo_store, lang):
    """Hot spots: address, category, cases, callers, latest day; the views list beside."""
    app = HotlineApp(demo_store, lang=lang, agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=lead_view(12))


def test_lead_hot_spot_cases_zh(snap_compare, demo_store):
    """Enter on the first hot spot: its cases, with the place and count in the heading."""
    app = HotlineApp(demo_store, lang="zh", agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=lead_view(12, "enter", "enter"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lead_terminals_offline(snap_compare, demo_store, lang):
    """Terminals with no server: this terminal's own queue (never synced, 120 waiting, the
    oldest two hours), "offline, local data"."""
    demo_store.set_meta("client_id", "T01-lead-terminal")
    with demo_store.raw() as conn:
        conn.execute("UPDATE outbox SET created_at = '2026-03-10T09:00:00.000000Z'")
    app = HotlineApp(demo_store, lang=lang, agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE, run_before=lead_view(13, "enter"))


def test_redispatch_picker_zh(snap_compare, demo_store):
    """`d` on a returned case (a lead): the department picker, filtered by pinyin initials."""
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang="zh", agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=opening(first(demo_store, "returned"), "d", *"cgj"))


def test_assign_dialog_zh(snap_compare, demo_store):
    """F6 callbacks due, three rows marked, `a`: who makes these callbacks."""
    as_lead(demo_store)
    app = HotlineApp(demo_store, lang="zh", agent="lead1", clock=clock)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=lead_view(7, "enter", "space", "space", "space", "a", *"a07"))
