"""Fault injection against real servers, on SQLite and on PostgreSQL. After each fault: every
saved change is on the server exactly once, in the order saved, and terminals converge."""

from __future__ import annotations

import threading
import time

import pytest

from models.cases import add_note, file_case
from sync.client import queue
from sync.client.backoff import Backoff
from sync.client.engine import SyncEngine
from sync.client.http import Offline

from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import (
    FaultTransport,
    check_exactly_once,
    draft,
    file_cases,
    local_mutations,
    local_snapshot,
    server_snapshot,
)

FAST = dict(backoff=Backoff(base=0.01, cap=0.05))


def _engine(store, srv, token, faults=None, **kw):
    transport = FaultTransport(faults)
    return SyncEngine(store, srv.url, token, transport=transport, **kw), transport


def test_round_trip_and_two_terminals_converge(server, make_user, terminal, db_url):
    a, b = terminal("a"), terminal("b")
    ta, tb = make_user("agent-a"), make_user("agent-b")
    ids = file_cases(a, 5)
    add_note(a, ids[0], "回访：已联系", "agent-a")
    saved = local_mutations(a)
    ea, _ = _engine(a, server, ta)
    report = ea.run()
    assert report.applied == 6 and queue.pending_count(a) == 0
    check_exactly_once(db_url, a.client_id, saved)
    eb, _ = _engine(b, server, tb)
    eb.run()
    assert local_snapshot(b) == local_snapshot(a) == server_snapshot(db_url)
    with a.session() as s:
        from sqlmodel import select

        from models.store.tables import Case
        assert {c.sync_state for c in s.exec(select(Case)).all()} == {"synced"}


def test_request_lost_is_resent(server, make_user, terminal, db_url):
    a = terminal("a")
    token = make_user("a1")
    file_cases(a, 3)
    saved = local_mutations(a)
    engine, transport = _engine(a, server, token, ["drop", "drop"])
    engine.run(**FAST)
    assert [f for _, f, _ in transport.log[:2]] == ["drop", "drop"]
    check_exactly_once(db_url, a.client_id, saved)
    assert queue.pending_count(a) == 0


def test_response_lost_after_commit_is_not_applied_twice(server, make_user, terminal, db_url):
    a = terminal("a")
    token = make_user("a1")
    file_cases(a, 4)
    saved = local_mutations(a)
    engine, transport = _engine(a, server, token, ["lose", "lose", "twice"])
    report = engine.run(**FAST)
    assert transport.log[0] == ("/v1/push", "lose", 200)  # the server did commit it
    assert report.duplicates == 4 and report.applied == 4
    check_exactly_once(db_url, a.client_id, saved)
    assert queue.pending_count(a) == 0
    assert len(server_snapshot(db_url)) == 4


def test_5xx_and_429_are_retried_honouring_retry_after(server, make_user, terminal, db_url):
    a = terminal("a")
    token = make_user("a1")
    file_cases(a, 2)
    saved = local_mutations(a)
    engine, transport = _engine(a, server, token, [("status", 503, 7), ("status", 500, None),
                                                    ("status", 429, 3)])
    slept: list[float] = []
    engine.run(attempts=10, backoff=Backoff(base=0.01, cap=0.05), sleep=slept.append)
    assert slept[0] >= 7 and slept[2] >= 3 and slept[1] <= 0.05
    check_exactly_once(db_url, a.client_id, saved)


def test_backoff_is_full_jitter_and_capped():
    b = Backoff(base=1, cap=8, rng=lambda: 1.0)
    assert [b.next_delay() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    b = Backoff(base=1, cap=8, rng=lambda: 0.0)
    assert b.next_delay() == 0 and b.next_delay(retry_after=5) == 5
    from sync.client.backoff import parse_retry_after
    assert parse_retry_after("120") == 120 and parse_retry_after("nonsense") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0


def test_slow_responses_and_timeouts(server, make_user, terminal, db_url):
    a = terminal("a")
    token = make_user("a1")
    file_cases(a, 3)
    saved = local_mutations(a)
    engine, transport = _engine(a, server, token, [("delay", 0.5), "lose", ("delay", 0.3)],
                                timeout=5)
    engine.run(**FAST)
    check_exactly_once(db_url, a.client_id, saved)
    assert queue.pending_count(a) == 0


def test_two_senders_at_once(server, make_user, terminal, db_url):
    a = terminal("a")
    token = make_user("a1")
    file_cases(a, 30)
    saved = local_mutations(a)
    barrier = threading.Barrier(2)
    errors = []

    def send():
        engine = SyncEngine(a, server.url, token, batch_size=7)
        barrier.wait()
        try:
            engine.run(**FAST)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    check_exactly_once(db_url, a.client_id, saved)
    assert queue.pending_count(a) == 0


def test_poison_mutation_is_rejected_recorded_and_does_not_block(server, make_user, terminal, db_url):
    from models.store.outbox import enqueue

    a = terminal("a")
    token = make_user("a1")
    first = file_case(a, draft(1), "a1")
    with a.writer() as s:
        enqueue(s, "case.explode.v9", first.id, {"boom": True})
        enqueue(s, "case.create.v1", "bad", {"case": {"id": "bad", "description": ""}})
        s.commit()
    second = file_case(a, draft(2), "a1")
    add_note(a, first.id, "后续备注", "a1")
    engine, _ = _engine(a, server, token)
    report = engine.run()
    assert report.rejected == 2 and report.applied == 3
    info = queue.info(a)
    assert info.pending == 0 and info.rejected == 2
    reasons = [r.reason for r in queue.items(a)]
    assert "unknown mutation" in reasons[0] and "invalid payload" in reasons[1]
    from .sync_support import server_db
    db = server_db(db_url)
    with db.engine.connect() as conn:
        from sqlalchemy import text
        rows = conn.execute(text("SELECT seq, outcome, reason FROM mutation ORDER BY seq")).all()
    db.dispose()
    assert [r.outcome for r in rows] == ["applied", "rejected", "rejected", "applied", "applied"]
    assert set(server_snapshot(db_url)) == {first.id, second.id}


def test_clock_skew_on_the_terminal_changes_nothing(server, make_user, terminal, db_url):
    from datetime import timedelta

    from models.domain.timeutil import now

    from .attack_support import rows

    a, b = terminal("a"), terminal("b")
    ta, tb = make_user("a1"), make_user("b1")
    ahead = file_case(a, draft(1), "a1", now() + timedelta(days=3))
    behind = file_case(a, draft(2), "a1", now() - timedelta(days=400))
    add_note(a, ahead.id, "skewed note", "a1", now() - timedelta(hours=5))
    saved = local_mutations(a)
    SyncEngine(a, server.url, ta).run()
    check_exactly_once(db_url, a.client_id, saved)
    SyncEngine(b, server.url, tb).run()
    # The server dates a case by its own receipt, so both are new within b's horizon; the
    # terminal's implausible clock (3 days ahead, 400 days behind) is not kept for the record.
    assert set(local_snapshot(b)) == {ahead.id, behind.id}
    assert local_snapshot(a) == server_snapshot(db_url)  # its own cases always come back
    stored = {r.id: r for r in rows(db_url, 'SELECT id, created_at, taken_at FROM "case"')}
    assert stored[ahead.id].taken_at is None and stored[behind.id].taken_at is None
    assert abs(stored[ahead.id].created_at - now()) < timedelta(minutes=5)


def test_old_client_after_a_server_upgrade(db_url, make_user, terminal):
    from sync.client.http import TooOld
    from sync.server.run import ThreadedServer

    a = terminal("a")
    token = make_user("a1")
    file_cases(a, 2)
    saved = local_mutations(a)
    upgraded = ThreadedServer(db_url, min_protocol=2).start()
    try:
        with pytest.raises(TooOld, match="upgrade hotline"):
            SyncEngine(a, upgraded.url, token).run()
    finally:
        upgraded.stop()
    assert queue.pending_count(a) == 2 and "too_old" in queue.info(a).last_error
    compatible = ThreadedServer(db_url).start()
    try:
        SyncEngine(a, compatible.url, token).run()
    finally:
        compatible.stop()
    check_exactly_once(db_url, a.client_id, saved)


def test_two_agents_edit_the_same_case_offline(server, make_user, terminal, db_url):
    import httpx

    from models.cases.edits import edit_case

    a, b = terminal("a"), terminal("b")
    # b is a shift lead: an agent may edit only the cases they filed (sync/server/rules.py).
    ta, tb, lead = make_user("a1"), make_user("b1", "lead"), make_user("boss", "lead")
    case = file_case(a, draft(1, address="梦都大街1号"), "a1")
    SyncEngine(a, server.url, ta).run()
    SyncEngine(b, server.url, tb).run()
    # Both offline: each edits the address (and a different field), and adds a note.
    edit_case(a, case.id, {"address": "梦都大街10号", "title": "A's title"}, "a1")
    add_note(a, case.id, "A: 地址更正", "a1")
    edit_case(b, case.id, {"address": "梦都大街100号", "district": "建邺区"}, "b1")
    add_note(b, case.id, "B: 地址核实", "b1")
    ra = SyncEngine(a, server.url, ta).run()
    rb = SyncEngine(b, server.url, tb).run()
    assert ra.conflicts == 0 and rb.conflicts == 1
    conflicts = httpx.get(server.url + "/v1/conflicts",
                          headers={"Authorization": f"Bearer {lead}"}).json()
    assert len(conflicts) == 1
    c = conflicts[0]
    assert (c["field"], c["base"], c["theirs"], c["mine"]) == (
        "address", "梦都大街1号", "梦都大街10号", "梦都大街100号")
    assert queue.info(b).conflicts == 1
    # The lead settles it; everyone converges, with both notes and both other fields.
    r = httpx.post(server.url + f"/v1/conflicts/{c['id']}/resolve", json={"value": "梦都大街100号"},
                   headers={"Authorization": f"Bearer {lead}"})
    assert r.status_code == 200 and r.json()["resolved"]
    SyncEngine(a, server.url, ta).run()
    SyncEngine(b, server.url, tb).run()
    assert local_snapshot(a) == local_snapshot(b) == server_snapshot(db_url)
    with b.session() as s:
        from models.store.tables import Case
        got = s.get(Case, case.id)
        assert (got.address, got.title, got.district) == ("梦都大街100号", "A's title", "建邺区")
    from models.cases import timeline
    notes = [e.note for e in timeline(a, case.id) if e.kind == "note"]
    assert "A: 地址更正" in notes and "B: 地址核实" in notes


def test_status_changes_reach_other_terminals(server, make_user, terminal, db_url):
    from models.cases import record_event_in
    from models.domain.enums import EventKind
    from models.domain.timeutil import now
    from models.store.tables import Case

    a, lead_t = terminal("a"), terminal("lead")
    ta, tl = make_user("a1"), make_user("boss", "lead")
    case = file_case(a, draft(1), "a1")
    SyncEngine(a, server.url, ta).run()
    SyncEngine(lead_t, server.url, tl).run()
    with lead_t.writer() as s:
        c = s.get(Case, case.id)
        record_event_in(s, c, EventKind.RESOLVED, "boss", now(), "已修复")
        s.commit()
    SyncEngine(lead_t, server.url, tl).run()
    SyncEngine(a, server.url, ta).run()
    with a.session() as s:
        assert s.get(Case, case.id).status == "resolved"
    assert local_snapshot(a) == server_snapshot(db_url)


def test_offline_then_drains_by_itself(db_url, make_user, terminal):
    """The worker: server down, three cases saved, server up: drained with no action."""
    from sync.client.worker import SyncWorker
    from sync.server.run import ThreadedServer, free_port

    a = terminal("a")
    token = make_user("a1")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    worker = SyncWorker(a, url, token, interval=0.5, backoff=Backoff(base=0.05, cap=0.3)).start()
    try:
        file_cases(a, 3)
        worker.wake()
        from .sync_support import wait_for
        assert wait_for(lambda: worker.status.state == "offline", 10)
        assert worker.status.queue == 3
        srv = ThreadedServer(db_url, port=port).start()
        try:
            assert wait_for(lambda: worker.status.queue == 0 and worker.status.state == "online", 20)
        finally:
            srv.stop()
    finally:
        worker.stop()
    assert len(server_snapshot(db_url)) == 3


def test_a_terminal_started_before_its_server_retries_when_its_backoff_says(db_url, make_user,
                                                                           terminal):
    """Nothing queued, the server not up yet (`hotline demo` starting both): the worker tries
    again when the backoff it shows ("retry in 1 s") runs out, not at the next interval."""
    from sync.client.worker import SyncWorker
    from sync.server.run import ThreadedServer, free_port

    from .sync_support import wait_for

    a = terminal("a")
    token = make_user("a1")
    port = free_port()
    worker = SyncWorker(a, f"http://127.0.0.1:{port}", token, interval=3600, poll=0.05,
                        backoff=Backoff(base=0.05, cap=0.3)).start()
    try:
        worker.wake()  # as at start
        assert wait_for(lambda: worker.status.state == "offline", 10)
        assert worker.status.queue == 0 and worker.status.retry_in is not None
        srv = ThreadedServer(db_url, port=port).start()
        try:
            assert wait_for(lambda: worker.status.state == "online", 20), worker.status
        finally:
            srv.stop()
    finally:
        worker.stop()
    assert a.get_meta("sync.last_ok_at")


def test_offline_errors_surface_in_the_queue(terminal):
    a = terminal("a")
    file_cases(a, 1)
    engine = SyncEngine(a, "http://127.0.0.1:9", "x.y")
    with pytest.raises(Offline):
        engine.run(attempts=2, **FAST)
    info = queue.info(a)
    assert info.pending == 1 and info.last_error.startswith("offline")
    assert time.time() > 0


def test_a_full_batch_arrives_field_for_field(server, make_user, terminal, db_url):
    """25 cases in one push (on PostgreSQL a batch that size is written with COPY): a second
    terminal pulls every field as the first saved it, JSON lists and times included."""
    from sqlmodel import select

    from models.store.tables import Case

    a, b = terminal("a"), terminal("b")
    ta, tb = make_user("agent-a"), make_user("agent-b")
    for i in range(25):
        file_case(a, draft(i, co_departments=["chengguan"] if i % 2 else [],
                           caller_name=f"王女士{i}", notes=f"第{i}次来电"), "agent-a")
    saved = local_mutations(a)
    assert _engine(a, server, ta)[0].run().applied == 25
    check_exactly_once(db_url, a.client_id, saved)
    _engine(b, server, tb)[0].run()
    fields = ("case_no", "created_at", "description", "address", "caller_phone", "caller_name",
              "category", "lead_department", "co_departments", "status", "due_at", "version")

    def rows(store):
        with store.session() as s:
            return {c.id: tuple(getattr(c, f) for f in fields) for c in s.exec(select(Case))}

    theirs, ours = rows(b), rows(a)
    assert len(ours) == 25 and theirs == ours
    assert sum(1 for r in ours.values() if r[fields.index("co_departments")] == ["chengguan"]) == 12
