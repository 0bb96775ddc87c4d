"""Failures as an unlucky operator meets them (issue 10, item 8, server side): the database away
(503 with Retry-After, in the error shape, and /healthz says so), a database too slow (timeouts,
not hung threads), a bug (a sentence, no traceback), and a server restored from an older backup
(the terminal says `resume_from`, and its held changes are applied, not lost)."""

from __future__ import annotations

import json
import shutil
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from sync.client.engine import SyncEngine
from sync.protocol import ErrorBody

from .attack_support import TcpProxy, Terminal, create, h, rows, wire_case
from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import PG_ADMIN, file_cases


def _unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert int(r.headers["Retry-After"]) > 0
    assert ErrorBody.model_validate(r.json()).error == "unavailable"
    assert "Traceback" not in r.text


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_away_is_503_with_retry_after_then_back(db_url, make_user):
    from sync.server.run import ThreadedServer
    from sync.server.settings import ServerSettings

    token = make_user("a1")
    proxy = TcpProxy()
    srv = ThreadedServer(proxy.url(db_url), settings=ServerSettings(
        db_timeout_s=3, db_connect_timeout_s=2)).start()
    t = Terminal(srv.url, token)
    try:
        assert t.results(create(wire_case()))[0]["outcome"] == "applied"
        assert httpx.get(srv.url + "/healthz").json()["database"] == "ok"
        proxy.set("refused")  # the database is away: connections cut, new ones refused
        _unavailable(httpx.get(srv.url + "/v1/me", headers=h(token)))
        _unavailable(t.push(create(wire_case())))
        t.seq -= 1
        health = httpx.get(srv.url + "/healthz")
        assert health.status_code == 503 and health.json()["ok"] is False
        assert health.json()["database"].startswith("unavailable")
        proxy.set("blackhole")  # a host that answers nothing: the connect timeout ends the wait
        started = time.monotonic()
        _unavailable(httpx.get(srv.url + "/v1/cases", headers=h(token), timeout=30))
        assert time.monotonic() - started < 10
        proxy.set("up")
        assert httpx.get(srv.url + "/healthz").status_code == 200
        assert t.results(create(wire_case()))[0]["outcome"] == "applied"
    finally:
        srv.stop()
        proxy.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_stuck_postgresql_statement_times_out_as_503(db_url, make_user):
    """Another session holds the change clock's lock: a push waits at most the statement
    timeout, then answers 503 (the terminal retries later), instead of hanging its thread."""
    from sync.server.run import ThreadedServer
    from sync.server.settings import ServerSettings

    token = make_user("a1")
    srv = ThreadedServer(db_url, settings=ServerSettings(db_timeout_s=2)).start()
    blocker = create_engine(db_url).connect()
    try:
        tx = blocker.begin()
        blocker.execute(text("LOCK TABLE sync_clock IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        _unavailable(Terminal(srv.url, token).push(create(wire_case())))
        assert time.monotonic() - started < 10
        tx.rollback()
        assert Terminal(srv.url, token).results(create(wire_case()))[0]["outcome"] == "applied"
    finally:
        blocker.close()
        srv.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_locked_sqlite_database_is_503_after_the_busy_timeout(db_url, make_user):
    import sqlite3

    from sync.server.run import ThreadedServer
    from sync.server.settings import ServerSettings

    token = make_user("a1")
    srv = ThreadedServer(db_url, settings=ServerSettings(db_timeout_s=1)).start()
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        started = time.monotonic()
        _unavailable(Terminal(srv.url, token).push(create(wire_case())))
        assert time.monotonic() - started < 10
        assert httpx.get(srv.url + "/healthz").status_code == 200  # readers still read
        holder.execute("ROLLBACK")
        assert Terminal(srv.url, token).results(create(wire_case()))[0]["outcome"] == "applied"
    finally:
        holder.close()
        srv.stop()


def test_a_bug_answers_the_error_shape_without_a_traceback(server, make_user):
    def broken() -> None:
        raise RuntimeError("secret internals: /srv/hotline/app.py line 42")

    server.app.add_api_route("/v1/broken", broken)
    r = httpx.get(server.url + "/v1/broken", headers=h(make_user("a1")))
    assert r.status_code == 500
    body = ErrorBody.model_validate(r.json())
    assert body.error == "internal" and "secret" not in r.text and "Traceback" not in r.text


def _restore(db_url: str, backup: str) -> None:
    """Put the server's database back to the backup (SQLite: the file; PostgreSQL: a database
    copied from it)."""
    if db_url.startswith("sqlite"):
        shutil.copyfile(backup, db_url.removeprefix("sqlite:///"))
        return
    name = db_url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{backup}"'))
    admin.dispose()


def _backup(db_url: str, tmp_path, pg_databases=None) -> str:
    if db_url.startswith("sqlite"):
        copy = str(tmp_path / "backup.db")
        shutil.copyfile(db_url.removeprefix("sqlite:///"), copy)
        return copy
    name = db_url.rsplit("/", 1)[1]
    copy = f"{name}_backup"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
    admin.dispose()
    pg_databases.made.append(copy)
    return copy


def _synced_then_restored(a, db_url: str, token: str, tmp_path, request) -> list[str]:
    """Terminal `a` syncs seqs 1-3, the server is backed up, seqs 4-5 are synced and settled,
    the backup is restored; `a` then files seqs 6-7 (returned: their case ids), never sent."""
    from sync.server.run import ThreadedServer

    pg = request.getfixturevalue("pg_databases") if db_url.startswith("postgresql") else None
    srv = ThreadedServer(db_url).start()
    file_cases(a, 3)
    SyncEngine(a, srv.url, token).run()
    srv.stop()
    backup = _backup(db_url, tmp_path, pg)
    srv = ThreadedServer(db_url).start()
    file_cases(a, 2, start=3)
    SyncEngine(a, srv.url, token).run()  # seqs 4-5 applied and settled on the terminal
    srv.stop()
    _restore(db_url, backup)
    return file_cases(a, 2, start=5)


def test_a_terminal_resumes_after_the_server_is_restored_from_a_backup(
        db_url, make_user, terminal, tmp_path, request):
    """The server's database goes back to a backup that knows this terminal up to seq 3 while
    the terminal has had seqs 4-5 settled since and holds 6-7: the server answers 409 "expected
    seq 4" for ever, until the terminal says it holds nothing below 6 (`resume_from`). Then the
    jump is recorded for leads and 6-7 are applied."""
    from sync.protocol import Mutation, PushRequest
    from sync.server.run import ThreadedServer

    token, lead = make_user("a1"), make_user("boss", "lead")
    a = terminal("a")
    held = _synced_then_restored(a, db_url, token, tmp_path, request)
    with a.session() as s:
        outbox = [(r[0], r[1], r[2]) for r in s.execute(text(
            "SELECT seq, name, payload FROM outbox WHERE state = 'pending' ORDER BY seq"))]
    assert [seq for seq, _, _ in outbox] == [6, 7]
    mutations = [Mutation(seq=seq, name=name, case_id=json.loads(p)["case"]["id"],
                          payload=json.loads(p)) for seq, name, p in outbox]
    srv = ThreadedServer(db_url).start()
    try:
        url, json_h = srv.url + "/v1/push", {**h(token), "Content-Type": "application/json"}
        plain = PushRequest(client_id=a.client_id, mutations=mutations)
        r = httpx.post(url, headers=json_h, content=plain.model_dump_json())
        assert r.status_code == 409 and r.json()["expected_seq"] == 4, r.text
        resumed = plain.model_copy(update={"resume_from": 6})
        r = httpx.post(url, headers=json_h, content=resumed.model_dump_json())
        assert r.status_code == 200, r.text
        assert [(x["seq"], x["outcome"]) for x in r.json()["results"]] == [(6, "applied"), (7, "applied")]
        assert r.json()["last_seq"] == 7
        on_server = {row.id for row in rows(db_url, 'SELECT id FROM "case"')}
        assert set(held) <= on_server and len(on_server) == 5  # 4-5 went with the backup
        [jump] = httpx.get(srv.url + "/v1/audit", params={"action": "sync.seq_jump"},
                           headers=h(lead)).json()
        assert (jump["user_id"], jump["client_id"], jump["detail"]) == (
            "a1", a.client_id, {"expected_seq": 4, "resume_from": 6, "skipped": 2})
        # Sent again (a lost answer), it is a duplicate; resume_from at or below what the
        # server expects changes nothing; one below the batch is refused.
        r = httpx.post(url, headers=json_h, content=resumed.model_dump_json())
        assert [x["outcome"] for x in r.json()["results"]] == ["duplicate", "duplicate"]
        more = Terminal(srv.url, token, client_id=a.client_id)
        more.seq = 7
        assert more.push(create(wire_case()), resume_from=3).status_code == 200
        more.seq = 8
        r = more.push(create(wire_case()), resume_from=12)
        assert r.status_code == 422 and "resume_from" in r.json()["detail"]
        assert len(httpx.get(srv.url + "/v1/audit", params={"action": "sync.seq_jump"},
                             headers=h(lead)).json()) == 1
    finally:
        srv.stop()


def test_the_sync_engine_resumes_by_itself_after_a_restore(db_url, make_user, terminal, tmp_path,
                                                          request):
    """The same restore, with the terminal's own engine: it reads the 409, says `resume_from`
    its oldest pending seq, and its held cases reach the server; nothing is left queued."""
    from sync.server.run import ThreadedServer

    token = make_user("a1")
    a = terminal("a")
    held = _synced_then_restored(a, db_url, token, tmp_path, request)
    srv = ThreadedServer(db_url).start()
    try:
        engine = SyncEngine(a, srv.url, token)
        engine.run()
        assert engine.report.applied == 2 and engine.report.rejected == 0
        on_server = {row.id for row in rows(db_url, 'SELECT id FROM "case"')}
        assert set(held) <= on_server
        with a.session() as s:
            assert s.execute(text("SELECT count(*) FROM outbox WHERE state = 'pending'")).scalar() == 0
    finally:
        srv.stop()
