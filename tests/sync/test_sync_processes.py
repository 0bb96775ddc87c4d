"""Faults with real processes: the server killed with SIGKILL mid-batch, the terminal killed
mid-save and mid-pull, a long outage with thousands queued and an expired then rotated token
(through the `hotline sync` command), and two server processes on one PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from sync.client import queue
from sync.client.backoff import Backoff
from sync.client.engine import SyncEngine

from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import (
    ROOT,
    ServerProcess,
    bulk_queue,
    check_exactly_once,
    local_mutations,
    local_snapshot,
    server_db,
    server_snapshot,
    wait_for,
)


def _hotline(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent_tui.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HOTLINE_LANG": "en"})


@pytest.mark.slow
def test_server_killed_with_sigkill_mid_batch(db_url, make_user, terminal):
    a = terminal("a")
    token = make_user("a1")
    total = 1500
    bulk_queue(a, total)
    saved = local_mutations(a)
    srv = ServerProcess(db_url).start()
    engine = SyncEngine(a, srv.url, token, batch_size=50)
    errors = []

    def drain():
        try:
            engine.run(attempts=200, backoff=Backoff(base=0.05, cap=0.3))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        assert wait_for(lambda: queue.pending_count(a) < total, 30)
        time.sleep(random.uniform(0, 0.2))
        srv.kill(signal.SIGKILL)  # mid-batch: some batch is in flight or about to be
        killed_at = queue.pending_count(a)
        time.sleep(0.5)
        srv.start()
        thread.join(120)
    finally:
        srv.stop()
    assert not errors and 0 < killed_at < total
    assert engine.report.retries >= 1
    check_exactly_once(db_url, a.client_id, saved)
    assert queue.pending_count(a) == 0
    assert local_snapshot(a) == server_snapshot(db_url)


SAVER = """
import sys
from tests.sync.sync_support import draft, new_store
from models.cases import file_case
store = new_store(sys.argv[1], "K")
i = 0
while True:
    case = file_case(store, draft(i), "a1")
    print(case.id, flush=True)
    i += 1
"""


def test_terminal_killed_mid_save_loses_nothing_and_queues_everything(server, make_user,
                                                                       terminal, tmp_path, db_url):
    data = tmp_path / "k"
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(data)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    said_saved = []
    while len(said_saved) < 25 + random.randrange(20):
        said_saved.append(proc.stdout.readline().strip())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = terminal("k")  # reopen the killed terminal's store
    assert store.path.parent.name == "k"
    with store.raw() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cases = {r[0] for r in conn.execute('SELECT id FROM "case"')}
        queued = [r[0] for r in conn.execute(
            "SELECT case_id FROM outbox WHERE name = 'case.create.v1' ORDER BY seq")]
    assert set(said_saved) <= cases  # every case it said was saved is there
    assert sorted(queued) == sorted(cases)  # and every saved case is queued, once
    saved = local_mutations(store)
    SyncEngine(store, server.url, make_user("a1")).run()
    check_exactly_once(db_url, store.client_id, saved)


def test_terminal_killed_mid_pull_converges(server, make_user, terminal, tmp_path, db_url):
    a = terminal("a")
    bulk_queue(a, 1500)
    SyncEngine(a, server.url, make_user("a1")).run()
    token_b = make_user("b1")
    b_dir = tmp_path / "b"
    for _ in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent_tui.cli", "sync", "--data-dir", str(b_dir),
             "--server", server.url, "--token", token_b], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(1.0, 2.0))  # interpreter start, then somewhere in the pull
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    b = terminal("b")
    before = len(local_snapshot(b))
    SyncEngine(b, server.url, token_b).run()
    assert local_snapshot(b) == server_snapshot(db_url)
    assert before <= 1500


@pytest.mark.slow
def test_long_outage_thousands_queued_and_an_expired_token(db_url, make_user, terminal, tmp_path):
    from datetime import timedelta

    from sqlalchemy import text, update

    from models.domain.timeutil import now
    from sync.server.auth import new_token
    from sync.server.tables import api_token

    a = terminal("a")
    old = make_user("a1", expires_days=30)
    # A week offline: thousands of cases queued, a week old.
    ids = bulk_queue(a, 2000)
    with a.writer() as s:
        s.execute(text("UPDATE outbox SET created_at = :t"),
                  {"t": (now() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
        s.commit()
    saved = local_mutations(a)
    db = server_db(db_url)
    with db.write_engine.begin() as conn:  # meanwhile the token expired
        conn.execute(update(api_token).values(expires_at=now() - timedelta(hours=1)))
    srv = ServerProcess(db_url).start()
    try:
        q = json.loads(_hotline("queue", "--json", "--data-dir", str(a.data_dir)).stdout)
        assert q["pending"] == 2000 and q["oldest_age_seconds"] > 6 * 86400
        r = _hotline("sync", "--data-dir", str(a.data_dir), "--server", srv.url, "--token", old)
        assert r.returncode == 4, r.stderr
        assert "token expired" in r.stderr and queue.pending_count(a) == 2000
        fresh = new_token(db, "a1")
        r = _hotline("sync", "--data-dir", str(a.data_dir), "--server", srv.url, "--token", fresh,
                     "--json")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["report"]["applied"] == 2000 and out["queue"]["pending"] == 0
    finally:
        srv.stop()
        db.dispose()
    check_exactly_once(db_url, a.client_id, saved)
    assert set(ids) <= set(server_snapshot(db_url))


def test_two_server_processes_on_one_postgresql_behave_as_one(pg_databases, terminal, tmp_path):
    from sqlalchemy import text

    from sync.server.auth import add_user

    url = pg_databases.new()
    s1 = ServerProcess(url)
    s2 = ServerProcess(url)
    # Started together: the migration and the catalogue seeding happen once.
    threads = [threading.Thread(target=s.start) for s in (s1, s2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        db = server_db(url)
        tokens = [add_user(db, f"u{i}", "agent") for i in range(3)]
        stores = [terminal(f"t{i}") for i in range(3)]
        saved = []
        for st in stores:
            bulk_queue(st, 400, tag=st.data_dir.name)
            saved.append(local_mutations(st))
        errors = []

        def run(st, token, srv):
            try:
                SyncEngine(st, srv.url, token, batch_size=25).run()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        workers = [threading.Thread(target=run, args=(st, tok, srv)) for st, tok, srv in
                   zip(stores, tokens, (s1, s2, s1), strict=True)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        assert not errors
        for st, tok, srv in zip(stores, tokens, (s2, s1, s2), strict=True):  # pull from the other
            SyncEngine(st, srv.url, tok).run()
        for st, exp in zip(stores, saved, strict=True):
            check_exactly_once(url, st.client_id, exp)
        snap = server_snapshot(url)
        assert len(snap) == 1200
        assert all(local_snapshot(st) == snap for st in stores)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM department")).scalar() > 0
            dup = conn.execute(text("SELECT count(*) FROM (SELECT entity_id FROM changelog WHERE "
                                    "entity = 'department' GROUP BY entity_id HAVING count(*) > 1) d"
                                    )).scalar()
            assert dup == 0  # seeded once, though both servers started at once
        db.dispose()
    finally:
        s1.stop()
        s2.stop()
