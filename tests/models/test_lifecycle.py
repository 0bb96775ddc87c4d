"""The work order's lifecycle on a real store: each step checked by the rules, recorded on the
timeline, queued for the server; illegal steps refused with the state and the allowed steps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models.cases import file_case, timeline
from models.cases.steps import take_step
from models.domain.case_shape import CaseDraft
from models.domain.lifecycle import Action, Actor, CaseState, Role, Step, allowed_actions
from models.domain.messages import ValidationFailed
from models.domain.mutations import Mutations
from models.store.outbox import Outbox
from models.store.tables import Case

AGENT = Actor("a01", Role.AGENT)
LEAD = Actor("lead1", Role.LEAD)
STREET = Actor("street1", Role.DEPARTMENT, "street_office")
MARKET = Actor("market1", Role.DEPARTMENT, "market_regulation")


def open_case(store, **over):
    base = dict(caller_phone="13812345678", description="大杨村28号路边梧桐树上有一个马蜂窝",
                address="大杨村28号", location_kind="public_road", category="马蜂窝")
    return file_case(store, CaseDraft(**(base | over)), "a01")


def state(store, case_id) -> Case:
    with store.session() as s:
        return s.get(Case, case_id)


def step(store, case, actor, action, **kw):
    return take_step(store, case.id, actor, Step(Action(action), **kw))


def test_a_case_filed_without_a_department_is_dispatched_then_worked_to_closed(store):
    case = open_case(store)
    assert state(store, case.id).status == "open"
    step(store, case, AGENT, "dispatch", lead_department="街道", co_departments=["交警", "消防"])
    c = state(store, case.id)
    assert (c.status, c.lead_department, c.co_departments) == (
        "dispatched", "street_office", ["traffic_police", "fire_brigade"])
    assert c.due_at is not None and c.due_at > c.created_at
    step(store, case, STREET, "accept")
    step(store, case, STREET, "progress", note="已联系消防，明早处理")
    step(store, case, STREET, "resolve", note="高压水枪清除")
    c = state(store, case.id)
    assert (c.status, c.resolution) == ("resolved", "高压水枪清除") and c.resolved_at
    step(store, case, AGENT, "callback", satisfaction="unsatisfied", note="还有残留")
    assert state(store, case.id).status == "in_progress"  # reopened, back to the department
    step(store, case, STREET, "resolve", note="残留已清理")
    step(store, case, AGENT, "callback", satisfaction="satisfied")
    c = state(store, case.id)
    assert (c.status, c.satisfaction) == ("closed", "satisfied")
    kinds = [e.kind for e in timeline(store, case.id)]
    assert kinds == ["created", "dispatched", "accepted", "progress", "resolved", "callback",
                     "resolved", "callback"]
    with store.session() as s:
        queued = s.exec(select(Outbox.name).where(Outbox.case_id == case.id)).all()
    assert queued.count(Mutations.CASE_EVENT) == 7  # every step queued, like a new case


def test_a_return_waits_for_a_leads_review_then_is_sent_back_or_redispatched(store):
    case = open_case(store, lead_department="市场监督管理局")
    step(store, case, MARKET, "return", reason="not_our_jurisdiction", note="路边，归街道")
    c = state(store, case.id)
    assert (c.status, c.return_reason) == ("returned", "not_our_jurisdiction")
    step(store, case, LEAD, "send_back", note="请先核实")
    assert state(store, case.id).status == "dispatched"
    step(store, case, MARKET, "return", reason="other", note="确非本单位")
    step(store, case, LEAD, "dispatch", lead_department="street_office")
    c = state(store, case.id)
    assert (c.status, c.lead_department, c.return_reason) == ("dispatched", "street_office", "")
    events = timeline(store, case.id)
    assert [e.kind for e in events][-1] == "redispatched"
    assert events[-1].data["from"] == "market_regulation"


@pytest.mark.parametrize("lang,words", [
    ("en", ["Returned", "Resolve", "Dispatch, Send back, Supervise, Note"]),
    ("zh", ["已退单", "办结", "派单、退回原单位、督办、备注"]),
])
def test_an_illegal_step_names_the_state_and_the_allowed_steps(store, lang, words):
    case = open_case(store, lead_department="市场监督管理局")
    step(store, case, MARKET, "return", reason="duplicate")
    with pytest.raises(ValidationFailed) as err:
        step(store, case, LEAD, "resolve", note="x")
    message = err.value.messages(lang)[0]
    for word in words:
        assert word in message, message
    assert state(store, case.id).status == "returned"  # nothing recorded


def test_a_callback_needs_a_resolved_case_and_an_answer(store):
    case = open_case(store, lead_department="街道")
    with pytest.raises(ValidationFailed) as err:
        step(store, case, AGENT, "callback", satisfaction="satisfied")
    assert err.value.problems[0].code == "step.not_allowed"
    step(store, case, STREET, "resolve", note="done")
    with pytest.raises(ValidationFailed) as err:
        step(store, case, AGENT, "callback", satisfaction="so-so")
    assert err.value.problems[0].field == "satisfaction"


def test_departments_act_only_on_their_own_orders_and_agents_do_not_supervise(store):
    case = open_case(store, lead_department="街道")
    with pytest.raises(ValidationFailed) as err:
        step(store, case, MARKET, "accept")
    assert err.value.problems[0].code == "step.not_allowed_role"
    with pytest.raises(ValidationFailed):
        step(store, case, AGENT, "supervise", note="快")
    assert Action.SUPERVISE not in allowed_actions(CaseState.of(case), AGENT)
    assert Action.SUPERVISE in allowed_actions(CaseState.of(case), LEAD)


def test_supervision_and_an_extension_move_the_deadline(store):
    case = open_case(store, lead_department="街道")
    due = state(store, case.id).due_at
    step(store, case, LEAD, "supervise", note="尽快办理", due_at=due - timedelta(days=1))
    c = state(store, case.id)
    assert c.supervised_count == 1 and c.due_at == due - timedelta(days=1)
    with pytest.raises(ValidationFailed) as err:
        step(store, case, STREET, "extend", note="需要协调", due_at=c.due_at - timedelta(hours=1))
    assert err.value.problems[0].field == "due_at"
    later = c.due_at + timedelta(days=3)
    step(store, case, STREET, "extend", note="需要协调消防", due_at=later)
    assert state(store, case.id).extension_due_at == later
    step(store, case, LEAD, "approve_extension")
    c = state(store, case.id)
    assert c.due_at == later and c.extension_due_at is None
    with pytest.raises(ValidationFailed) as err:
        step(store, case, LEAD, "refuse_extension")
    assert err.value.problems[0].code == "step.no_extension"
