"""Attacks on who and when (issue 10, items 1 and 3): an agent's push that tries to speak for
someone else, to date things wherever it likes, or to set what only the lifecycle sets. Each on
a real server, on SQLite and on PostgreSQL; outcomes read from the server's database."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from .attack_support import (
    Terminal,
    create,
    event,
    execute,
    fields,
    h,
    iso,
    near_now,
    rows,
    utcnow,
    wire_case,
    wire_event,
)
from .sync_fixtures import *  # noqa: F403 (fixtures)

FAR_FUTURE = "9999-12-31T23:59:59-12:00"


def test_a_far_future_time_stops_nobodys_sync(server, make_user, db_url):
    """A case and a note dated 9999-12-31T23:59:59-12:00 (stored as year 10000 on PostgreSQL,
    after which every pull and case listing answered 500): the case is stored at the server's
    time, the terminal's absurd time is dropped, and every reader goes on."""
    attacker = Terminal(server.url, make_user("mallory"))
    case = wire_case(created_at=FAR_FUTURE, updated_at=FAR_FUTURE, due_at=FAR_FUTURE,
                     resolved_at=FAR_FUTURE)
    note = wire_event(case["id"], at=FAR_FUTURE)
    results = attacker.results(create(case, [wire_event(case["id"], "created", at=FAR_FUTURE)]),
                               event(note, 0))
    assert [r["outcome"] for r in results] == ["applied", "applied"], results
    [stored] = rows(db_url, 'SELECT created_at, updated_at, due_at, resolved_at, taken_at '
                            'FROM "case" WHERE id = :i', i=case["id"])
    assert near_now(stored.created_at) and near_now(stored.updated_at)
    assert stored.taken_at is None and stored.resolved_at is None
    assert stored.due_at is not None and stored.due_at < utcnow() + timedelta(days=60)
    times = [r.at for r in rows(db_url, "SELECT at FROM caseevent WHERE case_id = :i", i=case["id"])]
    assert len(times) == 2 and all(near_now(t) for t in times)
    # The terminal's clock on the mutation itself is refused with the request, naming it.
    r = attacker.push({**create(wire_case()), "at": FAR_FUTURE})
    assert r.status_code == 422 and "mutations.0.at" in r.json()["detail"]
    attacker.seq -= 1
    # Everyone else's sync goes on.
    reader = Terminal(server.url, make_user("reader"))
    assert reader.pull().status_code == 200
    listed = httpx.get(server.url + "/v1/cases", headers=h(make_user("other")))
    assert listed.status_code == 200 and [c["id"] for c in listed.json()] == [case["id"]]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_migration_repairs_times_no_reader_can_read(db_url, make_user):
    """A PostgreSQL database poisoned before this fix (a case stored at year 10000): the
    security migration sets the unreadable times to now and logs the case for pullers."""
    from sync.server import migrate
    from sync.server.run import ThreadedServer

    from .sync_support import server_db

    db = server_db(db_url)
    try:
        migrate.upgrade(db, "0001")
        execute(db_url, 'INSERT INTO "case" (id, case_no, source, created_at, updated_at, '
                "caller_phone, caller_withheld, caller_name, title, description, address, "
                "district, location_kind, category, urgency, disposition, lead_department, "
                "co_departments, status, resolution, satisfaction, agent, version, repeat_count, "
                "sync_state) VALUES ('poison', 'P-1', 'local', :t, :t, '', true, '', '', 'x', "
                "'', '', 'other', '', 'normal', 'answered', '', '[]', 'closed', '', '', 'm', 1, "
                "0, 'synced')", t=FAR_FUTURE)
        migrate.upgrade(db)
    finally:
        db.dispose()
    [stored] = rows(db_url, "SELECT created_at FROM \"case\" WHERE id = 'poison'")
    assert near_now(stored.created_at)
    assert rows(db_url, "SELECT entity FROM changelog WHERE entity_id = 'poison'")
    srv = ThreadedServer(db_url).start()
    try:
        assert Terminal(srv.url, make_user("reader")).pull().status_code == 200
    finally:
        srv.stop()


def test_the_server_stamps_author_time_and_everything_derived(server, make_user, db_url):
    """An agent's case signed by another agent, closed, at version 99 with 1000 repeat calls,
    an external id and a due date of its choosing, and events signed by a lead and dated 2000:
    stored as the token's user's, at the server's time, dispatched (from its disposition),
    version 1, no repeats, no external id, due by the category's working days."""
    mallory = Terminal(server.url, make_user("mallory"))
    year_2000 = "2000-01-01T08:00:00+08:00"
    two_hours_ago = utcnow() - timedelta(hours=2)
    forged = wire_case(agent="a-victim", status="closed", version=99, repeat_count=1000,
                       external_id="forged-ext", created_at=year_2000, updated_at=year_2000,
                       due_at=year_2000, resolved_at=year_2000, caller_withheld=True)
    honest = wire_case(created_at=iso(two_hours_ago), updated_at=iso(two_hours_ago))
    signed = wire_event(forged["id"], "created", agent="boss", at=year_2000,
                        data={"disposition": "answered", "lead_department": "police"})
    results = mallory.results(create(forged, [signed]), create(honest))
    assert [r["outcome"] for r in results] == ["applied", "applied"], results
    got = {r.id: r for r in rows(db_url, 'SELECT * FROM "case"')}
    f = got[forged["id"]]
    assert (f.agent, f.status, f.version, f.repeat_count, f.external_id, f.source,
            f.caller_withheld) == ("mallory", "dispatched", 1, 0, None, "local", False)
    assert near_now(f.created_at) and f.taken_at is None  # 2000 is no plausible clock
    assert f.resolved_at is None and f.due_at > f.created_at
    assert abs(got[honest["id"]].taken_at - two_hours_ago) < timedelta(seconds=1)
    assert near_now(got[honest["id"]].created_at)
    [ev] = rows(db_url, "SELECT agent, at, data FROM caseevent WHERE case_id = :i", i=forged["id"])
    assert ev.agent == "mallory" and near_now(ev.at)
    data = ev.data
    assert data["disposition"] == "dispatch" and data["lead_department"] == "street_light_office"
    assert "taken_at" not in data
    # A later event keeps the terminal's plausible clock in its data, for the record.
    note = wire_event(honest["id"], agent="boss", at=iso(two_hours_ago))
    assert mallory.results(event(note, 0))[0]["outcome"] == "applied"
    [n] = rows(db_url, "SELECT agent, at, data FROM caseevent WHERE id = :i", i=note["id"])
    data = n.data
    assert n.agent == "mallory" and near_now(n.at) and data["taken_at"] == iso(two_hours_ago)
    # The mutation record kept the terminal's own time too.
    assert rows(db_url, "SELECT count(*) FROM mutation WHERE user_id = 'mallory'")[0][0] == 3


def test_imported_history_is_an_admins_and_stays_in_range(server, make_user, db_url):
    agent = Terminal(server.url, make_user("clerk"))
    admin = Terminal(server.url, make_user("root", "admin"))
    old = "2011-03-01T14:27:57-05:00"
    history = dict(source="import:nyc311", created_at=old, updated_at=old, status="closed",
                   category="Noise - Residential", lead_department="imp:nypd",
                   resolved_at="2011-03-02T10:00:00-05:00", resolution="Police responded")
    [r] = agent.results(create(wire_case(external_id="nyc-1", **history)))
    assert r["outcome"] == "rejected" and "source: Only an admin" in r["reason"]
    kept = wire_case(external_id="nyc-2", **history)
    too_old = wire_case(external_id="nyc-3", **{**history, "created_at": "1969-12-31T00:00:00Z"})
    ahead = wire_case(external_id="nyc-4", **{**history, "created_at": iso(utcnow() + timedelta(days=3))})
    results = admin.results(create(kept), create(too_old), create(ahead))
    assert [r["outcome"] for r in results] == ["applied", "rejected", "rejected"], results
    assert all("created_at" in r["reason"] for r in results[1:])
    [stored] = rows(db_url, 'SELECT created_at, status, agent, source, category, version '
                            'FROM "case" WHERE id = :i', i=kept["id"])
    assert stored.created_at.year == 2011 and stored.status == "closed"
    assert (stored.agent, stored.source, stored.category, stored.version) == (
        "root", "import:nyc311", "Noise - Residential", 1)


def test_an_agent_may_not_rewrite_close_or_supervise_anothers_case(server, make_user, db_url):
    alice = Terminal(server.url, make_user("alice"))
    mallory = Terminal(server.url, make_user("mallory"))
    lead = Terminal(server.url, make_user("boss", "lead"))
    case = wire_case(address="梦都大街1号")
    assert alice.results(create(case))[0]["outcome"] == "applied"
    results = mallory.results(
        fields(case["id"], 0, address=("梦都大街1号", "别处")),
        event(wire_event(case["id"], "closed", note="closed by mallory"), 0),
        event(wire_event(case["id"], "resolved"), 0),
        event(wire_event(case["id"], "supervised"), 0),
        event(wire_event(case["id"], "created"), 0),
        event(wire_event(case["id"], note="I called the caller back"), 0),
        event(wire_event(case["id"], "repeat_call", data={"caller_phone": "13812345678"}), 0))
    assert [r["outcome"] for r in results] == ["rejected"] * 5 + ["applied"] * 2, results
    assert "filed by alice" in results[0]["reason"]
    # Steps are the lifecycle's rule (sync/server/rules.py asks models/domain/lifecycle.py):
    # the refusal names the case's state and the steps this user may take.
    assert results[1]["reason"] == ("action: A case that is Dispatched cannot take “Close”; it "
                                    "allows: Note.")
    assert "Role agent may not take “Resolve”" in results[2]["reason"]
    assert "Role agent may not take “Supervise”" in results[3]["reason"]
    assert "comes only with the case" in results[4]["reason"]
    [stored] = rows(db_url, 'SELECT status, address, repeat_count FROM "case" WHERE id = :i',
                    i=case["id"])
    assert (stored.status, stored.address, stored.repeat_count) == ("dispatched", "梦都大街1号", 1)
    # Its own agent and a shift lead may.
    assert alice.results(fields(case["id"], 0, address=("梦都大街1号", "梦都大街2号")))[0][
        "outcome"] == "applied"
    assert [r["outcome"] for r in lead.results(
        event(wire_event(case["id"], "resolved", note="repaired"), 0),
        event(wire_event(case["id"], "closed"), 0))] == ["applied", "applied"]
    [stored] = rows(db_url, 'SELECT status, address FROM "case" WHERE id = :i', i=case["id"])
    assert (stored.status, stored.address) == ("closed", "梦都大街2号")
    agents = {r.kind: r.agent for r in rows(
        db_url, "SELECT kind, agent FROM caseevent WHERE case_id = :i", i=case["id"])}
    assert agents == {"note": "mallory", "repeat_call": "mallory", "resolved": "boss",
                      "closed": "boss"}


def test_satisfaction_comes_from_its_vocabulary(server, make_user, db_url):
    alice = Terminal(server.url, make_user("alice"))
    case = wire_case(satisfaction="bribed")
    good = wire_case()
    results = alice.results(create(case), create(good))
    assert results[0]["outcome"] == "rejected" and "satisfaction" in results[0]["reason"]
    lead = Terminal(server.url, make_user("boss", "lead"))  # a callback follows a resolution
    assert lead.results(event(wire_event(good["id"], "resolved", note="fixed"), 0))[0][
        "outcome"] == "applied"
    results = alice.results(
        event(wire_event(good["id"], "callback", data={"satisfaction": "ecstatic"}), 0),
        fields(good["id"], 0, satisfaction=("", "ecstatic")),
        event(wire_event(good["id"], "callback", data={"satisfaction": "基本满意"}), 0))
    assert [r["outcome"] for r in results] == ["rejected", "rejected", "applied"], results
    assert "data.satisfaction" in results[0]["reason"] and "satisfaction" in results[1]["reason"]
    [stored] = rows(db_url, 'SELECT satisfaction FROM "case" WHERE id = :i', i=good["id"])
    assert stored.satisfaction == "basically_satisfied"


def test_a_case_number_already_taken_is_renumbered_not_reused(server, make_user, db_url):
    """Case numbers are made offline; one that is already on the server (a copied store, or an
    attacker shadowing a case) does not get a second case: the server numbers the new case
    `<number>-2`, says so in the answer, and the first case keeps its number."""
    alice = Terminal(server.url, make_user("alice"))
    mallory = Terminal(server.url, make_user("mallory"))
    first = wire_case(case_no="A3F2-261126-0007")
    assert alice.results(create(first))[0]["outcome"] == "applied"
    copies = [wire_case(case_no="A3F2-261126-0007") for _ in range(2)]
    results = mallory.results(*[create(c) for c in copies])
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    assert "numbered A3F2-261126-0007-2" in results[0]["reason"]
    assert "numbered A3F2-261126-0007-3" in results[1]["reason"]
    numbers = {r.id: r.case_no for r in rows(db_url, 'SELECT id, case_no FROM "case"')}
    assert numbers == {first["id"]: "A3F2-261126-0007", copies[0]["id"]: "A3F2-261126-0007-2",
                       copies[1]["id"]: "A3F2-261126-0007-3"}
    one = httpx.get(server.url + "/v1/cases/A3F2-261126-0007", headers=h(make_user("reader")))
    assert one.json()["case"]["id"] == first["id"]


def test_what_a_batch_would_create_that_is_already_stored_is_refused_alone(server, make_user,
                                                                          db_url):
    """A case id, an imported case's external id or an event id the server already holds is
    refused, naming it; the batch's other new case goes in (the server asks about all of them
    in one statement)."""
    admin = Terminal(server.url, make_user("root", "admin"))
    old = "2011-03-01T14:27:57-05:00"
    history = dict(source="import:nyc311", created_at=old, updated_at=old, status="closed",
                   category="Noise - Residential", lead_department="imp:nypd",
                   resolved_at="2011-03-02T10:00:00-05:00", resolution="Police responded")
    first = wire_case(external_id="nyc-9", **history)
    note = wire_event(first["id"], at=old)
    assert admin.results(create(first, [note]))[0]["outcome"] == "applied"
    other = wire_case(external_id="nyc-11", **history)
    fresh = wire_case(external_id="nyc-12", **history)
    results = admin.results(
        create(wire_case(first["id"], external_id="nyc-10", **history)),
        create(wire_case(external_id="nyc-9", **history)),
        create(other, [wire_event(other["id"], at=old, id=note["id"])]),
        create(fresh))
    assert [r["outcome"] for r in results] == ["rejected"] * 3 + ["applied"], results
    assert f"case {first['id']} already exists" in results[0]["reason"]
    assert "external id 'nyc-9' already exists" in results[1]["reason"]
    assert f"event {note['id']} already exists" in results[2]["reason"]
    stored = {r.id: r.external_id for r in rows(db_url, 'SELECT id, external_id FROM "case"')}
    assert stored == {first["id"]: "nyc-9", fresh["id"]: "nyc-12"}
