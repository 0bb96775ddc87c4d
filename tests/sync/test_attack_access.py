"""Attacks on access (issue 10, item 6): cutting a user off, token expiry, guessing tokens
(logged, and throttled per address in the database so several servers count together), reading
every case (audited, and the log is the shift lead's), and big unauthenticated bodies (refused
before they are read: the server's memory does not move). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading

import httpx

from .attack_support import Terminal, create, h, rows, rss_kib, wire_case
from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import ROOT, ServerProcess


def _hotline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent_tui.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOTLINE_LANG": "en", **(env or {})})


def test_user_list_disable_enable_remove_take_effect_at_once(server, db_url, tmp_path):
    env = {"HOTLINE_DB": db_url}  # --db from the environment
    data = ["--data-dir", str(tmp_path / "d")]
    token = _hotline("user", "add", "clerk", *data, env=env).stdout.strip()
    lead = _hotline("user", "add", "boss", "--role", "lead", "--expires-days", "30", *data,
                    env=env).stdout.strip()
    me = lambda t: httpx.get(server.url + "/v1/me", headers=h(t))  # noqa: E731
    assert me(token).status_code == 200 and me(lead).status_code == 200
    listed = [json.loads(line) for line in _hotline("user", "list", "--json", *data,
                                                   env=env).stdout.splitlines()]
    assert [(u["id"], u["role"], u["disabled"], u["tokens"]) for u in listed] == [
        ("boss", "lead", False, 1), ("clerk", "agent", False, 1)]
    assert listed[0]["expires_at"] and listed[1]["expires_at"] is None
    assert _hotline("user", "disable", "clerk", *data, env=env).returncode == 0
    r = me(token)
    assert r.status_code == 401 and "user disabled" in r.json()["detail"]
    assert "disabled" in _hotline("user", "list", *data, env=env).stdout
    assert _hotline("user", "enable", "clerk", *data, env=env).returncode == 0
    assert me(token).status_code == 200
    assert _hotline("user", "remove", "clerk", *data, env=env).returncode == 0
    assert me(token).status_code == 401
    assert "clerk" not in _hotline("user", "list", *data, env=env).stdout
    missing = _hotline("user", "disable", "nobody", *data, env=env)
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr
    # Rotation: the new token works, the old one does not.
    fresh = _hotline("user", "token", "boss", *data, env=env).stdout.strip()
    assert me(fresh).status_code == 200 and me(lead).status_code == 401


def test_an_expired_token_is_refused(server, make_user):
    expired = make_user("old", expires_days=-0.001)
    r = httpx.get(server.url + "/v1/me", headers=h(expired))
    assert r.status_code == 401 and "token expired" in r.json()["detail"]


def test_failed_sign_ins_are_logged_and_throttled_per_address_in_the_database(
        db_url, make_user, caplog):
    """Five bad tokens from one address: the sixth request from it gets 429 with Retry-After,
    even with a good token; other addresses are untouched; a second server process on the same
    database refuses that address too. Each failure is a log line with the address, never the
    token."""
    from sync.server.run import ThreadedServer
    from sync.server.settings import ServerSettings

    good = make_user("a1")
    guesses = [f"{i:016x}.guess-{i}-{'s' * 20}" for i in range(6)]
    srv = ThreadedServer(db_url, settings=ServerSettings(auth_max_failures=5, auth_window_s=60)).start()
    other = ServerProcess(db_url, env={"HOTLINE_AUTH_MAX_FAILURES": "5",
                                       "HOTLINE_AUTH_WINDOW_S": "60"}).start()
    try:
        caplog.set_level(logging.WARNING, logger="hotline.server.auth")
        attacker = "203.0.113.7"
        statuses = [httpx.post(srv.url + "/v1/push", headers=h(g, address=attacker),
                               json={"client_id": "x" * 8, "mutations": []}).status_code
                    for g in guesses[:5]]
        assert statuses == [401] * 5
        throttled = httpx.get(srv.url + "/v1/me", headers=h(good, address=attacker))
        assert throttled.status_code == 429 and throttled.json()["error"] == "too_many_failures"
        assert 0 < int(throttled.headers["Retry-After"]) <= 60
        assert httpx.get(other.url + "/v1/me", headers=h(guesses[5], address=attacker)).status_code == 429
        assert httpx.get(other.url + "/v1/me", headers=h(good, address="198.51.100.1")).status_code == 200
        assert httpx.get(srv.url + "/v1/me", headers=h(good)).status_code == 200
        [row] = rows(db_url, "SELECT failures FROM auth_failure WHERE address = :a", a=attacker)
        assert row.failures == 5
        lines = [r.getMessage() for r in caplog.records if r.name == "hotline.server.auth"]
        failed = [line for line in lines if line.startswith("sign-in failed from 203.0.113.7")]
        assert len(failed) == 5 and any("throttled" in line for line in lines)
        assert not any(g.split(".")[1] in line or g in line for g in guesses for line in lines)
    finally:
        other.stop()
        srv.stop()


def test_reads_of_cases_are_audited_and_the_lead_reads_the_log(server, make_user, db_url):
    alice, bob = Terminal(server.url, make_user("alice")), Terminal(server.url, make_user("bob"))
    lead = make_user("boss", "lead")
    mine = wire_case()
    assert alice.results(create(mine))[0]["outcome"] == "applied"
    assert bob.results(create(wire_case()))[0]["outcome"] == "applied"
    # A pull that brings others' cases says which (alice's brings bob's); one's own are not
    # recorded.
    assert alice.pull().status_code == 200
    mallory = make_user("mallory")
    listed = httpx.get(server.url + "/v1/cases", headers=h(mallory, address="192.0.2.9"))
    assert listed.status_code == 200 and len(listed.json()) == 2
    assert httpx.get(server.url + f"/v1/cases/{mine['case_no']}", headers=h(mallory)).status_code == 200
    r = httpx.get(server.url + "/v1/audit", headers=h(mallory))
    assert r.status_code == 403
    log = httpx.get(server.url + "/v1/audit", headers=h(lead)).json()
    summary = [(e["user_id"], e["action"], e["case_count"]) for e in log]
    assert summary == [("mallory", "cases.read", 1), ("mallory", "cases.list", 2),
                       ("alice", "pull", 1)], summary
    assert log[0]["case_ids"] == [mine["id"]] and log[1]["address"] == "192.0.2.9"
    assert log[2]["detail"]["cursor_to"] > 0
    mine_only = httpx.get(server.url + "/v1/audit", params={"case_id": mine["id"]},
                          headers=h(lead)).json()
    assert [e["action"] for e in mine_only] == ["cases.read", "cases.list"]
    assert rows(db_url, "SELECT count(*) FROM audit")[0][0] == 3


def test_big_unauthenticated_bodies_are_refused_before_they_are_read(db_url, make_user):
    """Ten unauthenticated 8 MB pushes at once: each gets 401 (the bearer token is checked from
    the headers) and the server's memory does not grow; a body over the limit gets 413 whether
    it says its length or comes chunked."""
    token = make_user("a1")
    srv = ServerProcess(db_url).start()
    try:
        pid = srv.proc.pid
        httpx.get(srv.url + "/healthz")
        before = rss_kib(pid)
        body = b'{"client_id": "' + b"x" * (8 * 1024 * 1024 - 64) + b'", "mutations": []}'
        statuses: list[int] = []

        def send() -> None:
            try:
                statuses.append(httpx.post(srv.url + "/v1/push", content=body, timeout=60,
                                           headers={"Content-Type": "application/json",
                                                    "Authorization": "Bearer 0123456789abcdef.nope"}
                                           ).status_code)
            except httpx.HTTPError as exc:  # the server may close before the client is done
                statuses.append(type(exc).__name__)

        threads = [threading.Thread(target=send) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        grown = rss_kib(pid) - before
        assert statuses.count(401) >= 8, statuses
        assert grown < 40 * 1024, f"server memory grew by {grown} KiB"
        over = b"x" * (9 * 1024 * 1024)
        r = httpx.post(srv.url + "/v1/push", content=over, headers=h(token))
        assert r.status_code == 413 and r.json()["error"] == "too_large"

        def chunks():
            for _ in range(9):
                yield b"x" * (1024 * 1024)

        r = httpx.post(srv.url + "/v1/push", content=chunks(), headers=h(token))
        assert r.status_code == 413 and r.json()["error"] == "too_large"
        ok = json.dumps({"client_id": "c" * 8, "mutations": []}).encode()
        r = httpx.post(srv.url + "/v1/push", content=iter([ok[:10], ok[10:]]),
                       headers={**h(token), "Content-Type": "application/json"})
        assert r.status_code == 200, r.text  # a chunked body within the limit is read whole
    finally:
        srv.stop()


def test_the_server_database_file_is_private(tmp_path):
    from sync.server.db import Database
    from sync.server.migrate import upgrade

    path = tmp_path / "srv" / "server.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
