"""Lifecycle steps from the TUI: the case view's step keys and dialogs, the F8 callback queue,
and the refusal of a step the case's state or the user's role does not allow. Every test
checks the store's rows and the outbox, not only the screen."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from textual.widgets import Static

from agent_tui.app import HotlineApp
from agent_tui.screens.callbacks import CallbackScreen
from agent_tui.screens.case_view import CaseViewScreen
from models.store.outbox import Outbox
from models.store.tables import Case, CaseEvent

from ..conftest import DEMO_END
from .test_intake import shown
from .test_lead import settle


def clock():
    return DEMO_END + timedelta(hours=2)


def as_lead(store) -> None:
    from sync.client.queue import ROLE

    store.set_meta(ROLE, "lead")


def a_case(store, status: str, **where) -> Case:
    with store.session() as s:
        query = select(Case).where(Case.status == status).order_by(col(Case.case_no))
        for name, value in where.items():
            query = query.where(getattr(Case, name) == value)
        return s.exec(query).first()


def reread(store, case_id: str) -> Case:
    with store.session() as s:
        return s.get(Case, case_id)


def last_event(store, case_id: str) -> CaseEvent:
    with store.session() as s:
        return s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)
                      .order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc())).first()


def queued(store, case_id: str) -> list[Outbox]:
    with store.session() as s:
        return list(s.exec(select(Outbox).where(Outbox.case_id == case_id)
                           .order_by(col(Outbox.seq))).all())


def text_of(widget: Static) -> str:
    return shown(widget)


async def open_case(pilot, case_id: str) -> CaseViewScreen:
    pilot.app.push_screen(CaseViewScreen(case_id))
    await settle(pilot)
    assert isinstance(pilot.app.screen, CaseViewScreen)
    return pilot.app.screen


async def test_agent_callback_not_satisfied_reopens(demo_store):
    case = a_case(demo_store, "resolved", satisfaction="")
    before = len(queued(demo_store, case.id))
    app = HotlineApp(demo_store, lang="en", agent="a01", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, case.id)
        assert "Callback" in str(screen.query_one("KeyBar").render())
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "CallbackDialog"
        await pilot.press("3", *"still dark", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert "now In progress" in text_of(screen.query_one("#case-status", Static))
    after = reread(demo_store, case.id)
    assert (after.status, after.satisfaction) == ("in_progress", "unsatisfied")
    event = last_event(demo_store, case.id)
    assert (event.kind, event.note, event.data["satisfaction"]) == ("callback", "still dark", "unsatisfied")
    rows = queued(demo_store, case.id)
    assert len(rows) == before + 1 and rows[-1].name == "case.event.v1"
    assert rows[-1].payload["event"]["id"] == event.id


async def test_illegal_step_refused_naming_state_and_allowed_steps(demo_store):
    case = a_case(demo_store, "dispatched")
    before = len(queued(demo_store, case.id))
    app = HotlineApp(demo_store, lang="zh", agent="a01", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, case.id)
        await pilot.press("s")  # resolve: a department's step, an agent may not
        await settle(pilot)
        assert app.screen is screen  # no dialog opened
        said = text_of(screen.query_one("#case-status", Static))
        assert "已派单" in said and "办结" in said and "可执行" in said
        await pilot.press("c")  # callback on an unresolved case
        await settle(pilot)
        said = text_of(screen.query_one("#case-status", Static))
        assert "工单当前为“已派单”，不能“回访”" in said
    assert reread(demo_store, case.id).status == "dispatched"
    assert len(queued(demo_store, case.id)) == before


async def test_lead_supervises_with_a_new_deadline(demo_store):
    as_lead(demo_store)
    case = a_case(demo_store, "dispatched")
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot, case.id)
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"chase the contractor", "enter", *"2026-03-20 18:00", "enter")
        await settle(pilot)
    after = reread(demo_store, case.id)
    assert after.supervised_count == case.supervised_count + 1
    assert after.due_at.replace(tzinfo=None) >= DEMO_END.replace(tzinfo=None) + timedelta(days=9)
    event = last_event(demo_store, case.id)
    assert (event.kind, event.note, event.agent) == ("supervised", "chase the contractor", "lead1")
    assert queued(demo_store, case.id)[-1].payload["event"]["kind"] == "supervised"


async def test_lead_redispatches_a_returned_case_with_a_co_handler(demo_store):
    as_lead(demo_store)
    case = a_case(demo_store, "returned")
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, case.id)
        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "DepartmentPickerScreen"
        await pilot.press(*"jj")  # 交警 by pinyin initials
        await pilot.pause()
        await pilot.press("ctrl+o")  # co-handling
        await pilot.press(*["backspace"] * 2, *"cgj", "enter")  # 城管局 leads
        await settle(pilot)
        assert app.screen is screen
    after = reread(demo_store, case.id)
    assert after.status == "dispatched" and after.lead_department != case.lead_department
    assert after.co_departments
    event = last_event(demo_store, case.id)
    assert event.kind == "redispatched" and event.data["from"] == case.lead_department


async def test_lead_returns_then_resolves_and_corrects_a_field(demo_store):
    as_lead(demo_store)
    case = a_case(demo_store, "dispatched")
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, case.id)
        await pilot.press("a")  # accept: no dialog
        await settle(pilot)
        assert reread(demo_store, case.id).status == "in_progress"
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"lamp replaced", "enter")
        await settle(pilot)
        after = reread(demo_store, case.id)
        assert (after.status, after.resolution) == ("resolved", "lamp replaced")
        await pilot.press("f")
        await pilot.pause()
        assert type(app.screen).__name__ == "FieldDialog"
        await pilot.press("enter")  # address, the first field
        await pilot.press("ctrl+u", *"梦都大街 12号", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert "Address corrected" in text_of(screen.query_one("#case-status", Static))
    assert reread(demo_store, case.id).address == "梦都大街 12号"
    fields = [r for r in queued(demo_store, case.id) if r.name == "case.fields.v1"]
    assert fields and "address" in str(fields[-1].payload)


async def test_a_return_needs_its_reason(demo_store):
    as_lead(demo_store)
    case = a_case(demo_store, "dispatched")
    app = HotlineApp(demo_store, lang="en", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot, case.id)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("down", "down", "enter", *"no house number", "enter")
        await settle(pilot)
    after = reread(demo_store, case.id)
    assert (after.status, after.return_reason) == ("returned", "insufficient_information")


async def test_callback_queue_works_call_by_call(demo_store):
    app = HotlineApp(demo_store, lang="en", agent="a01", clock=clock)
    with demo_store.session() as s:
        due = s.exec(select(Case).where(Case.status == "resolved").where(Case.satisfaction == "")
                     .where(Case.caller_phone != "").order_by(col(Case.resolved_at))).all()
    first, second = due[0], due[1]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CallbackScreen)
        current = text_of(screen.query_one("#cb-current", Static))
        assert first.case_no in current and first.resolution[:10] in current
        assert f"Callbacks due: {len(due)}" in text_of(screen.query_one("#cb-title", Static))
        await pilot.press("3", "enter")  # not satisfied, no note
        await settle(pilot)
        assert second.case_no in text_of(screen.query_one("#cb-current", Static))
        await pilot.press("1", *"thanks", "enter")
        await settle(pilot)
        assert f"Callbacks due: {len(due) - 2}" in text_of(screen.query_one("#cb-title", Static))
    a, b = reread(demo_store, first.id), reread(demo_store, second.id)
    assert (a.status, a.satisfaction) == ("in_progress", "unsatisfied")  # reopened
    assert (b.status, b.satisfaction) == ("closed", "satisfied")
    assert last_event(demo_store, second.id).note == "thanks"


async def test_dispatching_a_case_saved_without_departments_offers_the_suggestions(demo_store):
    """A call saved without departments waits for a lead (awaiting dispatch). The lead's
    dispatch picker now offers the routing suggestions for its text, as the intake form does:
    Enter on the suggested lead takes it with its co-handlers. (A case with a lead gets none:
    its own description, learned with that lead, would vote for the department replaced.)"""
    from models.cases.filing import file_case
    from models.domain.case_shape import CaseDraft

    as_lead(demo_store)
    case = file_case(demo_store, CaseDraft(
        caller_phone="13912345678", description="梦都大街18号路边梧桐树上有一个马蜂窝，行人经过很危险",
        address="梦都大街18号", location_kind="public_road"), "agent1", clock())
    assert case.status == "open" and not case.lead_department  # awaiting dispatch
    app = HotlineApp(demo_store, lang="zh", agent="lead1", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, case.id)
        await pilot.press("d")
        await settle(pilot)
        picker_screen = app.screen
        assert type(picker_screen).__name__ == "DepartmentPickerScreen"
        from textual.widgets import OptionList

        options = picker_screen.query_one(OptionList)
        first = str(options.get_option_at_index(0).prompt)
        assert first.strip().startswith("街道办事处") and "推荐·主办" in first
        await pilot.press("enter")  # the suggested lead, with its co-handlers
        await settle(pilot)
        assert app.screen is screen
    after = reread(demo_store, case.id)
    assert after.status == "dispatched" and after.lead_department == "street_office"
    assert set(after.co_departments) == {"traffic_police", "fire_brigade"}
