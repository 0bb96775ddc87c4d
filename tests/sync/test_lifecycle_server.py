"""The work order's server side (issue 11), on SQLite and PostgreSQL with a real server:
pushed steps checked by the lifecycle's rule, departments working their orders through the API
(and the terminals seeing it after their next pull), reminders (催办), Open311 filing and
filters, and the shift leads' review computed by the server."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest

from models.cases import file_case, timeline
from models.cases.steps import take_step
from models.domain.lifecycle import Action, Actor, Role, Step
from models.store.tables import Case
from sync.client.engine import SyncEngine

from .attack_support import Terminal, create, event, execute, h, rows, utcnow, wire_case, wire_event
from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import draft, server_db


def _sync(store, url: str, token: str):
    engine = SyncEngine(store, url, token)
    try:
        return engine.run()
    finally:
        engine.close()


def _local(store, case_id: str) -> Case:
    with store.session() as s:
        return s.get(Case, case_id)


def test_an_illegal_pushed_step_is_rejected_and_the_rest_of_the_batch_applies(server, make_user,
                                                                               db_url):
    alice = Terminal(server.url, make_user("alice"))
    case = wire_case(address="梦都大街1号")
    assert alice.results(create(case))[0]["outcome"] == "applied"
    results = alice.results(
        event(wire_event(case["id"], "callback", data={"satisfaction": "satisfied"}), 0),
        event(wire_event(case["id"], note="caller rang again"), 0),
        event(wire_event(case["id"], "dispatched", data={"lead_department": "chengguan"}), 0))
    assert [r["outcome"] for r in results] == ["rejected", "applied", "rejected"], results
    # The reason names the case's state and the steps this user may take.
    assert results[0]["reason"] == ("action: A case that is Dispatched cannot take “Callback”; "
                                    "it allows: Note.")
    [stored] = rows(db_url, 'SELECT status, satisfaction FROM "case" WHERE id = :i', i=case["id"])
    assert (stored.status, stored.satisfaction) == ("dispatched", "")
    kinds = sorted(r.kind for r in rows(db_url, "SELECT kind FROM caseevent WHERE case_id = :i",
                                        i=case["id"]))
    assert kinds == ["note"]  # the created event came with none here; only the note landed
    # A deadline that no reader could read (year 10000 in UTC) or without a zone is refused.
    lead = Terminal(server.url, make_user("boss", "lead"))
    far, naive = lead.results(
        event(wire_event(case["id"], "supervised", note="督办",
                         data={"due_at": "9999-12-31T23:59:59-12:00"}), 0),
        event(wire_event(case["id"], "supervised", note="督办",
                         data={"due_at": "2030-01-01T00:00:00"}), 0))
    assert far["outcome"] == naive["outcome"] == "rejected", (far, naive)
    assert far["reason"].startswith("due_at:") and naive["reason"].startswith("due_at:")
    assert lead.pull().status_code == 200


def test_a_pushed_dispatch_names_unknown_departments_and_the_server_sets_the_deadline(
        server, make_user, db_url):
    lead = Terminal(server.url, make_user("boss", "lead"))
    case = wire_case(lead_department="", status="open")
    assert lead.results(create(case))[0]["outcome"] == "applied"
    bad, good = lead.results(
        event(wire_event(case["id"], "dispatched", data={"lead_department": "nobody"}), 0),
        event(wire_event(case["id"], "dispatched", data={
            "lead_department": "Street Lighting Office", "due_at": "2030-01-01T00:00:00+00:00"}), 0))
    assert bad["outcome"] == "rejected" and bad["reason"].startswith("lead_department:"), bad
    assert good["outcome"] == "applied", good
    [stored] = rows(db_url, 'SELECT status, lead_department, due_at FROM "case" WHERE id = :i',
                    i=case["id"])
    assert (stored.status, stored.lead_department) == ("dispatched", "street_light_office")
    # The deadline is the server's (the category's working days), not the terminal's 2030.
    assert stored.due_at is not None and stored.due_at.year < 2030


def test_two_terminals_stepping_one_case_at_once_converge_with_no_step_lost(
        server, make_user, terminal, db_url):
    tokens = {"a": make_user("boss1", "lead"), "b": make_user("boss2", "lead")}
    a, b = terminal("a"), terminal("b")
    case = file_case(a, draft(1), "boss1")
    _sync(a, server.url, tokens["a"])
    _sync(b, server.url, tokens["b"])
    # Offline, both leads act on the dispatched case: supervise, accept, report progress.
    for name, store in (("a", a), ("b", b)):
        actor = Actor(f"boss{'1' if name == 'a' else '2'}", Role.LEAD)
        take_step(store, case.id, actor, Step(Action.SUPERVISE, note=f"督办 {name}"))
        take_step(store, case.id, actor, Step(Action.ACCEPT))
        take_step(store, case.id, actor, Step(Action.PROGRESS, note=f"progress {name}"))
    # Both push at the same moment.
    threads = [threading.Thread(target=_sync, args=(store, server.url, tokens[name]))
               for name, store in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    _sync(a, server.url, tokens["a"])
    _sync(b, server.url, tokens["b"])
    events = rows(db_url, "SELECT id, kind, note, at, agent FROM caseevent WHERE case_id = :i",
                  i=case.id)
    kinds = sorted(r.kind for r in events)
    # Every step landed once, except the second accept: by then the case was in progress, and
    # the server (the case's row locked, the steps taken in turn) refused it naming the state.
    assert kinds.count("supervised") == 2 and kinds.count("progress") == 2, kinds
    assert kinds.count("accepted") == 1, kinds
    [rejected] = rows(db_url, "SELECT reason FROM mutation WHERE outcome = 'rejected'")
    assert "In progress" in rejected.reason and "Accept" in rejected.reason
    [stored] = rows(db_url, 'SELECT status, supervised_count FROM "case" WHERE id = :i', i=case.id)
    assert (stored.status, stored.supervised_count) == ("in_progress", 2)
    # Both terminals hold the server's whole timeline and the same state after their pull.
    for store in (a, b):
        local = {(e.id, e.kind, e.agent, e.at) for e in timeline(store, case.id)}
        # The server's copy of each event (its author and receipt time) is the one they hold.
        assert {(r.id, r.kind, r.agent, r.at) for r in events} <= local
        got = _local(store, case.id)
        assert (got.status, got.supervised_count) == ("in_progress", 2)


def test_two_leads_accepting_at_once_one_wins_the_other_is_told_the_state(server, make_user,
                                                                          db_url):
    agent = Terminal(server.url, make_user("a1"))
    case = wire_case()
    agent.results(create(case))
    leads = [Terminal(server.url, make_user(f"lead{i}", "lead")) for i in range(2)]
    out: list = [None, None]

    def accept(i):
        out[i] = leads[i].results(event(wire_event(case["id"], "accepted"), 0))[0]

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r["outcome"] for r in out) == ["applied", "rejected"], out
    loser = next(r for r in out if r["outcome"] == "rejected")
    assert "In progress" in loser["reason"] and "Resolve" in loser["reason"]
    assert len(rows(db_url, "SELECT id FROM caseevent WHERE case_id = :i AND kind = 'accepted'",
                    i=case["id"])) == 1


def test_a_department_accepts_returns_and_resolves_and_terminals_see_it(server, make_user,
                                                                        terminal, db_url):
    agent_token = make_user("a1")
    lights = make_user("lights", "department", department="street_light_office")
    t = terminal("t1")
    first, second = file_case(t, draft(1), "a1"), file_case(t, draft(2), "a1")
    _sync(t, server.url, agent_token)
    dept = h(lights)
    orders = httpx.get(server.url + "/v1/department/orders", headers=dept).json()
    assert {o["case"]["id"] for o in orders} == {first.id, second.id}
    url = server.url + "/v1/department/orders/"
    r = httpx.post(url + f"{first.case_no}/accept", headers=dept, json={"note": "签收"})
    assert r.status_code == 200 and r.json()["case"]["status"] == "in_progress", r.text
    assert r.json()["event"]["kind"] == "accepted" and r.json()["event"]["agent"] == "lights"
    r = httpx.post(url + f"{first.id}/progress", headers=dept, json={"note": "已派人查看"})
    assert r.status_code == 200, r.text
    r = httpx.post(url + f"{first.id}/resolve", headers=dept, json={"resolution": "灯泡已更换"})
    assert r.status_code == 200 and r.json()["case"]["status"] == "resolved"
    # A return needs a reason code; the answer names the field, never a 500.
    r = httpx.post(url + f"{second.id}/return", headers=dept, json={"note": "不归我们管"})
    assert r.status_code == 422 and "reason" in r.text
    r = httpx.post(url + f"{second.id}/return", headers=dept, json={"reason": "bogus"})
    assert r.status_code == 422 and "reason" in r.text
    r = httpx.post(url + f"{second.id}/resolve", headers=dept, json={"resolution": ""})
    assert r.status_code == 422 and "resolution" in r.text
    r = httpx.post(url + f"{second.id}/resolve", headers=dept, json={"resolution": " \x1b "})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "resolution"], r.text
    r = httpx.post(url + f"{second.id}/extend", headers=dept,
                   json={"due_at": "2000-01-01T00:00:00Z", "note": "more time"})
    assert r.status_code == 422 and "due_at" in r.text
    r = httpx.post(url + f"{second.id}/return", headers=dept,
                   json={"reason": "not_our_jurisdiction", "note": "属于城管"})
    assert r.status_code == 200 and r.json()["case"]["status"] == "returned", r.text
    # An illegal step names the state and the allowed steps.
    r = httpx.post(url + f"{second.id}/resolve", headers=dept, json={"resolution": "x"})
    assert r.status_code == 422 and "Returned" in r.json()["detail"], r.text
    # The terminal's next pull shows it all.
    _sync(t, server.url, agent_token)
    got1, got2 = _local(t, first.id), _local(t, second.id)
    assert (got1.status, got1.resolution) == ("resolved", "灯泡已更换")
    assert (got2.status, got2.return_reason) == ("returned", "not_our_jurisdiction")
    kinds = [e.kind for e in timeline(t, first.id)]
    assert kinds[-3:] == ["accepted", "progress", "resolved"], kinds
    returned = [e for e in timeline(t, second.id) if e.kind == "returned"]
    assert returned and returned[0].note == "属于城管" and returned[0].agent == "lights"
    # A lead on this terminal re-dispatches it (改派): the terminal queues a dispatch, the server
    # records it as the re-dispatch it is, and the terminal's timeline takes the server's copy.
    take_step(t, second.id, Actor("a1", Role.AGENT), Step(Action.DISPATCH, lead_department="chengguan"))
    _sync(t, server.url, agent_token)
    [kind] = [r.kind for r in rows(db_url, "SELECT kind FROM caseevent WHERE case_id = :i AND "
                                           "kind IN ('dispatched', 'redispatched')", i=second.id)]
    assert kind == "redispatched"
    assert "redispatched" in [e.kind for e in timeline(t, second.id)]
    got2 = _local(t, second.id)
    assert (got2.status, got2.lead_department) == ("dispatched", "chengguan")
    # Open orders no longer list them (resolved; returned waits for a lead).
    assert httpx.get(server.url + "/v1/department/orders", headers=dept).json() == []


def test_a_department_sees_only_its_own_cases(server, make_user, db_url):
    agent = Terminal(server.url, make_user("a1"))
    case = wire_case()  # street_light_office
    agent.results(create(case))
    other = h(make_user("urban", "department", department="chengguan"))
    assert httpx.get(server.url + "/v1/department/orders", headers=other).json() == []
    no = case["case_no"]
    assert httpx.get(server.url + f"/v1/department/orders/{no}", headers=other).status_code == 404
    r = httpx.post(server.url + f"/v1/department/orders/{no}/accept", headers=other, json={})
    assert r.status_code == 404
    # A department's token has no business with the terminals' API or the case API...
    assert httpx.get(server.url + "/v1/cases", headers=other).status_code == 403
    r = httpx.post(server.url + "/v1/pull", headers=other, json={"client_id": "c" * 16, "cursor": 0})
    assert r.status_code == 403
    # ... and an agent none with the department API.
    assert httpx.get(server.url + "/v1/department/orders",
                     headers=h(make_user("a2"))).status_code == 403
    [stored] = rows(db_url, 'SELECT status FROM "case" WHERE id = :i', i=case["id"])
    assert stored.status == "dispatched"


def test_a_department_user_needs_a_catalogue_department(server, make_user):
    with pytest.raises(ValueError, match="unknown department"):
        make_user("ghost", "department", department="ministry_of_silly_walks")
    with pytest.raises(ValueError, match="needs --department"):
        make_user("ghost", "department")
    token = make_user("lamps", "department", department="路灯管理处")  # a name, stored as code
    me = httpx.get(server.url + "/v1/me", headers=h(token)).json()
    assert me == {"id": "lamps", "role": "department", "department": "street_light_office"}


def test_reminders_are_added_once_per_case_per_day(server, make_user, db_url):
    from sync.server.reminders import remind_due

    agent = Terminal(server.url, make_user("a1"))
    late, on_time = wire_case(), wire_case()
    agent.results(create(late), create(on_time))
    execute(db_url, 'UPDATE "case" SET due_at = :d WHERE id = :i',
            d=utcnow() - timedelta(days=3), i=late["id"])
    every_day = lambda day: True  # noqa: E731 (the test must not depend on today's calendar)
    added: list[int] = []

    def run():
        db = server_db(db_url)
        try:
            added.append(remind_due(db, is_workday=every_day))
        finally:
            db.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]  # two "processes" at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    run()  # and a later run the same day
    assert sorted(added) == [0, 0, 1], added
    reminded = rows(db_url, "SELECT case_id, agent, data FROM caseevent WHERE kind = 'reminded'")
    assert [(r.case_id, r.agent) for r in reminded] == [(late["id"], "system")]
    dept = h(make_user("lights", "department", department="street_light_office"))
    orders = {o["case"]["id"]: o for o in
              httpx.get(server.url + "/v1/department/orders", headers=dept).json()}
    assert orders[late["id"]]["reminders"] == 1 and orders[on_time["id"]]["reminders"] == 0
    assert orders[late["id"]]["latest_step"]["kind"] == "reminded"
    # Overdue first: the earliest deadline leads the department's list.
    assert list(orders)[0] == late["id"]


def test_open311_reads_a_number_without_country_code_in_the_servers_region(db_url, make_user):
    """A US city's server (region = "US"): a kiosk's 212 555 0100 is New York's; a region phone
    numbers do not know is refused when the settings are read."""
    from sync.server.run import ThreadedServer
    from sync.server.settings import ServerSettings

    with pytest.raises(ValueError, match="region"):
        ServerSettings(db=db_url, region="XX")
    srv = ThreadedServer(db_url, settings=ServerSettings(region="us")).start()
    try:
        r = httpx.post(srv.url + "/open311/v2/requests.json", data={
            "api_key": make_user("kiosk"), "service_code": "street_light",
            "description": "Street light out", "address_string": "100 Main St",
            "phone": "212 555 0100"})
        assert r.status_code == 200, r.text
        [stored] = rows(db_url, 'SELECT caller_phone FROM "case" WHERE case_no = :n',
                        n=r.json()[0]["service_request_id"])
        assert stored.caller_phone == "+12125550100"
    finally:
        srv.stop()


def test_open311_files_filters_and_answers_tokens(server, make_user, db_url):
    agent_key = make_user("kiosk")
    lights = h(make_user("lights", "department", department="street_light_office"))
    base = server.url + "/open311/v2/"
    r = httpx.post(base + "requests.json", data={
        "api_key": agent_key, "service_code": "street_light", "description": "路灯不亮",
        "address_string": "梦都大街1号", "phone": "13912345678", "first_name": "王"})
    assert r.status_code == 200, r.text
    [lamp] = r.json()
    assert lamp["service_notice"] == "dispatched to street_light_office"
    r = httpx.post(base + "requests.json", data={
        "api_key": agent_key, "service_code": "road_damage", "description": "路面塌陷",
        "lat": "32.0", "long": "118.7"})
    [road] = r.json()
    assert road["service_notice"] == "awaiting dispatch"  # two departments own it: a lead decides
    [stored] = rows(db_url, 'SELECT status, lead_department, agent, caller_phone FROM "case" '
                            "WHERE case_no = :n", n=road["service_request_id"])
    assert (stored.status, stored.lead_department, stored.agent) == ("open", "", "kiosk")
    # Same validation as intake, naming the spec's fields; bad keys are refused.
    r = httpx.post(base + "requests.json", data={"api_key": agent_key, "service_code": "nope",
                                                 "description": "x"})
    assert r.status_code == 422
    assert {e["description"].split(":")[0] for e in r.json()} == {"service_code", "address_string"}
    r = httpx.post(base + "requests.json", data={"service_code": "street_light"})
    assert r.status_code == 401
    r = httpx.post(base + "requests.json", data={"api_key": "0123456789abcdef.nope",
                                                 "service_code": "street_light"})
    assert r.status_code == 401
    r = httpx.post(base + "requests.json", data={"api_key": make_user("d", "department",
                                                                      department="chengguan"),
                                                 "service_code": "street_light"})
    assert r.status_code == 403
    # Tokens answer the request they stand for.
    r = httpx.get(base + f"tokens/{lamp['token']}.json")
    assert r.json() == [{"service_request_id": lamp["service_request_id"], "token": lamp["token"]}]
    assert httpx.get(base + "tokens/00ff.json").status_code == 404
    # The department resolves the lamp: the request closes, the notice carries the step.
    r = httpx.post(server.url + f"/v1/department/orders/{lamp['service_request_id']}/resolve",
                   headers=lights, json={"resolution": "灯泡已更换 by 李师傅 13800000000"})
    assert r.status_code == 200

    def ids(**params):
        got = httpx.get(base + "requests.json", params=params)
        assert got.status_code == 200, got.text
        return {x["service_request_id"]: x for x in got.json()}

    both = f"{lamp['service_request_id']},{road['service_request_id']}"
    assert set(ids(service_request_id=both)) == {lamp["service_request_id"], road["service_request_id"]}
    assert set(ids(service_code="road_damage")) == {road["service_request_id"]}
    assert set(ids(status="closed")) == {lamp["service_request_id"]}
    assert set(ids(status="open")) == {road["service_request_id"]}
    later = (utcnow() + timedelta(hours=1)).isoformat()
    assert ids(start_date=later) == {}
    assert set(ids(end_date=later)) == {lamp["service_request_id"], road["service_request_id"]}
    published = ids(service_request_id=lamp["service_request_id"])[lamp["service_request_id"]]
    assert published["status"] == "closed" and published["service_notice"].startswith("Resolved")
    # Privacy (issue 10): no description, resolution text, phone or name unless turned on.
    text = httpx.get(base + "requests.json").text
    assert "13912345678" not in text and "王" not in text and "李师傅" not in text
    assert "路灯不亮" not in text


def test_leads_endpoints_are_computed_by_the_server(server, make_user, db_url):
    agent = Terminal(server.url, make_user("a1"))
    lead = h(make_user("boss", "lead"))
    cases = [wire_case(address="梦都大街9号") for _ in range(3)]
    waiting = wire_case(lead_department="", status="open")
    agent.results(*[create(c) for c in [*cases, waiting]])
    execute(db_url, 'UPDATE "case" SET due_at = :d WHERE id = :i',
            d=utcnow() - timedelta(hours=2), i=cases[0]["id"])
    counts = {q["key"]: q["count"] for q in
              httpx.get(server.url + "/v1/leads/queues", headers=lead).json()}
    assert counts["awaiting_dispatch"] == 1 and counts["overdue"] == 1 and "unsynced" not in counts
    overdue = httpx.get(server.url + "/v1/leads/queues/overdue", headers=lead).json()
    assert [c["id"] for c in overdue] == [cases[0]["id"]]
    assert httpx.get(server.url + "/v1/leads/queues/bogus", headers=lead).status_code == 404
    board = httpx.get(server.url + "/v1/leads/scoreboard", params={"period": "7d"}, headers=lead).json()
    [row] = board["departments"]
    assert (row["department"], row["assigned"], row["overdue"]) == ("street_light_office", 3, 1)
    r = httpx.get(server.url + "/v1/leads/scoreboard", params={"period": "custom"}, headers=lead)
    assert r.status_code == 422 and "start" in r.text
    spots = httpx.get(server.url + "/v1/leads/hotspots", headers=lead).json()
    assert [(s["category"], s["address"], s["cases"]) for s in spots] == [
        ("street_light", "梦都大街9号", 3)]
    drill = httpx.get(server.url + "/v1/leads/hotspots/cases", headers=lead,
                      params={"category": "street_light", "address": "梦都大街9号"}).json()
    assert {c["id"] for c in drill} == {c["id"] for c in cases}
    # For leads only.
    agent_h = h(agent.token)
    assert httpx.get(server.url + "/v1/leads/queues", headers=agent_h).status_code == 403
    audited = rows(db_url, "SELECT action FROM audit WHERE user_id = 'boss'")
    assert {"leads.queue", "leads.hotspot"} <= {r.action for r in audited}


def test_the_command_line_adds_department_users_and_reminders(server, db_url, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from .sync_support import ROOT

    def hotline(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "agent_tui.cli", *args,
                               "--data-dir", str(tmp_path / "d")] if args[0] == "user" else
                              [sys.executable, "-m", "agent_tui.cli", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "HOTLINE_LANG": "en", "HOTLINE_DB": db_url})

    made = hotline("user", "add", "lights", "--role", "department", "--department",
                   "street_light_office")
    assert made.returncode == 0, made.stderr
    me = httpx.get(server.url + "/v1/me", headers=h(made.stdout.strip())).json()
    assert me["department"] == "street_light_office"
    bad = hotline("user", "add", "ghost", "--role", "department", "--department", "nowhere")
    assert bad.returncode == 1 and "unknown department 'nowhere'" in bad.stderr
    listed = [json.loads(x) for x in hotline("user", "list", "--json").stdout.splitlines()]
    assert [(u["id"], u["role"], u["department"]) for u in listed] == [
        ("lights", "department", "street_light_office")]
    agent = Terminal(server.url, hotline("user", "add", "a1").stdout.strip())
    late = wire_case()
    agent.results(create(late))
    execute(db_url, 'UPDATE "case" SET due_at = :d WHERE id = :i',
            d=utcnow() - timedelta(days=10), i=late["id"])
    first = hotline("server", "--remind", "--db", db_url)
    again = hotline("server", "--remind", "--db", db_url)
    assert first.returncode == again.returncode == 0, first.stderr
    assert again.stdout.strip() == "reminders added: 0"
    # One on a working day (the calendar's), none on a day off; never two.
    count = len(rows(db_url, "SELECT id FROM caseevent WHERE kind = 'reminded'"))
    assert first.stdout.strip() == f"reminders added: {count}" and count in (0, 1)


def test_a_lead_answers_a_return_and_an_extension_request_by_push(server, make_user, db_url):
    agent = Terminal(server.url, make_user("a1"))
    lead = Terminal(server.url, make_user("boss", "lead"))
    dept = h(make_user("lights", "department", department="street_light_office"))
    returned, late = wire_case(), wire_case()
    agent.results(create(returned), create(late))
    url = server.url + "/v1/department/orders/"
    assert httpx.post(url + f"{returned['id']}/return", headers=dept, json={
        "reason": "insufficient_information", "note": "缺少具体位置"}).status_code == 200
    # 派单异议审核: the lead sends it back to the same department, with a note.
    [r] = lead.results(event(wire_event(returned["id"], "sent_back", note="位置已补充：梦都大街1号东侧"), 0))
    assert r["outcome"] == "applied", r
    open_ids = {o["case"]["id"] for o in httpx.get(server.url + "/v1/department/orders",
                                                   headers=dept).json()}
    assert returned["id"] in open_ids
    # An extension: asked by the department, approved by the lead; the deadline moves.
    asked = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    r = httpx.post(url + f"{late['id']}/extend", headers=dept,
                   json={"due_at": asked.isoformat(), "note": "需要更换电缆"})
    assert r.status_code == 200 and r.json()["case"]["extension_due_at"], r.text
    [r] = lead.results(event(wire_event(late["id"], "extension_approved"), 0))
    assert r["outcome"] == "applied", r
    [stored] = rows(db_url, 'SELECT due_at, extension_due_at FROM "case" WHERE id = :i', i=late["id"])
    assert stored.due_at == asked and stored.extension_due_at is None
    # A second approval has nothing to approve: refused, naming why.
    [r] = lead.results(event(wire_event(late["id"], "extension_approved"), 0))
    assert r["outcome"] == "rejected" and "No extension request" in r["reason"], r


def test_a_co_handling_department_reports_progress_but_does_not_lead(server, make_user, db_url):
    agent = Terminal(server.url, make_user("a1"))
    case = wire_case(co_departments=["chengguan"])
    assert agent.results(create(case))[0]["outcome"] == "applied"
    co = h(make_user("urban", "department", department="chengguan"))
    orders = httpx.get(server.url + "/v1/department/orders", headers=co).json()
    assert [o["case"]["id"] for o in orders] == [case["id"]]
    url = server.url + f"/v1/department/orders/{case['id']}/"
    r = httpx.post(url + "accept", headers=co, json={})
    assert r.status_code == 422 and "Role department may not take “Accept”" in r.json()["detail"]
    r = httpx.post(url + "progress", headers=co, json={"note": "已清理占道摊点"})
    assert r.status_code == 200 and r.json()["event"]["data"]["department"] == "chengguan"
    [stored] = rows(db_url, 'SELECT status FROM "case" WHERE id = :i', i=case["id"])
    assert stored.status == "dispatched"
