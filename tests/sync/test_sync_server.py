"""The central server's edges: auth, roles, terminal binding, request limits, clear 4xx errors,
OpenAPI, Open311, migrations; and the `hotline server/user/sync/queue` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx

from sync.client.engine import SyncEngine
from sync.protocol import PROTOCOL_HEADER

from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import ROOT, file_cases, server_db


def _h(token: str, protocol: bool = True) -> dict[str, str]:
    h = {"Authorization": f"Bearer {token}"}
    if protocol:
        h[PROTOCOL_HEADER] = "1"
    return h


def test_auth_roles_binding_and_clear_errors(server, make_user, terminal, db_url):
    agent, other, lead = make_user("a1"), make_user("a2"), make_user("boss", "lead")
    url = server.url
    assert httpx.get(url + "/v1/me").status_code == 401
    r = httpx.get(url + "/v1/me", headers=_h(agent[:-2] + "xx"))
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert "WWW-Authenticate" in r.headers
    assert httpx.get(url + "/v1/me", headers=_h(agent)).json() == {"id": "a1", "role": "agent"}
    r = httpx.get(url + "/v1/conflicts", headers=_h(agent))
    assert r.status_code == 403 and "needs lead or admin" in r.json()["detail"]
    assert httpx.get(url + "/v1/terminals", headers=_h(lead)).status_code == 200
    # A terminal is bound to the user of its first push.
    a = terminal("a")
    file_cases(a, 1)
    SyncEngine(a, url, agent).run()
    r = httpx.post(url + "/v1/push", headers=_h(other),
                   json={"client_id": a.client_id, "mutations": []})
    assert r.status_code == 403 and "bound to another user" in r.json()["detail"]
    r = httpx.post(url + "/v1/pull", headers=_h(other), json={"client_id": a.client_id})
    assert r.status_code == 403
    terminals = httpx.get(url + "/v1/terminals", headers=_h(lead)).json()
    assert [(t["client_id"], t["user_id"], t["last_seq"]) for t in terminals] == [(a.client_id, "a1", 1)]
    # Bad input: clear 4xx answers.
    r = httpx.post(url + "/v1/push", headers=_h(agent), json={"client_id": "x"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert "client_id" in r.json()["detail"] and "mutations" in r.json()["detail"]
    r = httpx.post(url + "/v1/push", headers=_h(agent), content=b"{not json",
                   )
    assert r.status_code == 422
    r = httpx.post(url + "/v1/push", headers=_h(agent),
                   json={"client_id": str(uuid.uuid4()), "mutations": [
                       {"seq": 5, "name": "case.note.v1", "payload": {}}]})
    assert r.status_code == 409 and r.json()["expected_seq"] == 1
    r = httpx.post(url + "/v1/push", headers=_h(agent, protocol=False),
                   json={"client_id": str(uuid.uuid4()), "mutations": []})
    assert r.status_code == 426 and r.json()["error"] == "client_too_old"
    big = b'{"client_id": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    r = httpx.post(url + "/v1/push", headers=_h(agent), content=big)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    too_many = [{"seq": i, "name": "case.note.v1"} for i in range(1, 600)]
    r = httpx.post(url + "/v1/push", headers=_h(agent),
                   json={"client_id": str(uuid.uuid4()), "mutations": too_many})
    assert r.status_code == 422


def test_tokens_are_stored_hashed_and_rotation_revokes(db_url, make_user):
    from sqlalchemy import text

    from sync.server.auth import AuthError, authenticate, new_token

    token = make_user("a1")
    db = server_db(db_url)
    try:
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT hash FROM api_token")).scalar()
        assert token.split(".", 1)[1] not in stored and len(stored) == 64
        assert authenticate(db, token).id == "a1"
        fresh = new_token(db, "a1")
        assert authenticate(db, fresh).role == "agent"
        try:
            authenticate(db, token)
        except AuthError as exc:
            assert "revoked" in str(exc)
        else:
            raise AssertionError("the rotated token still works")
    finally:
        db.dispose()


def test_openapi_docs_and_open311(server, make_user, terminal):
    spec = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/push", "/v1/pull", "/open311/v2/requests.json"} <= set(spec["paths"])
    assert httpx.get(server.url + "/docs").status_code == 200
    services = httpx.get(server.url + "/open311/v2/services.json").json()
    assert any(s["service_code"] == "street_light" for s in services)
    a = terminal("a")
    file_cases(a, 2)
    SyncEngine(a, server.url, make_user("a1")).run()
    reqs = httpx.get(server.url + "/open311/v2/requests.json").json()
    assert len(reqs) == 2 and reqs[0]["status"] == "open" and reqs[0]["service_code"] == "street_light"
    assert "caller_phone" not in reqs[0] and "13912345678" not in json.dumps(reqs)
    one = httpx.get(server.url + f"/open311/v2/requests/{reqs[0]['service_request_id']}.json").json()
    assert one[0]["description"] == reqs[0]["description"]
    assert httpx.get(server.url + "/open311/v2/requests/nope.json").status_code == 404


def test_migrations_are_alembic_and_idempotent(db_url):
    from sync.server import migrate

    db = server_db(db_url)
    try:
        assert migrate.upgrade(db) == ("", migrate.head())
        assert migrate.upgrade(db) == (migrate.head(), migrate.head())
    finally:
        db.dispose()


def _hotline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent_tui.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOTLINE_LANG": "en"})


def test_cli_user_add_sync_and_queue(tmp_path, server, db_url):
    r = _hotline("user", "add", "clerk", "--role", "agent", "--db", db_url)
    assert r.returncode == 0 and len(r.stdout.strip()) > 40
    token = r.stdout.strip()
    dup = _hotline("user", "add", "clerk", "--db", db_url)
    assert dup.returncode != 0 and "already exists" in dup.stderr
    data = str(tmp_path / "term")
    assert _hotline("new", "--data-dir", data, "--description", "路灯不亮", "--address", "梦都大街",
                    "--department", "street_light_office").returncode == 0
    q = json.loads(_hotline("queue", "--json", "--data-dir", data).stdout)
    assert q["pending"] == 1 and q["oldest_age_seconds"] >= 0 and q["last_error"] == ""
    assert _hotline("sync", "--data-dir", data).returncode == 2  # no server configured
    r = _hotline("sync", "--data-dir", data, "--server", server.url, "--token", token, "--remember")
    assert r.returncode == 0, r.stderr
    assert "applied 1" in r.stderr
    q = json.loads(_hotline("queue", "--json", "--data-dir", data).stdout)
    assert q["pending"] == 0 and q["server"] == server.url and q["last_ok_at"]
    assert _hotline("sync", "--data-dir", data).returncode == 0  # remembered server and token
    cases = [json.loads(line) for line in _hotline("cases", "--json", "--data-dir", data).stdout.splitlines()]
    assert [c["sync_state"] for c in cases] == ["synced"]


def test_cli_cases_from_the_server(tmp_path, server, db_url):
    """`hotline cases --server URL --token T --json` lists what the server holds, not the store."""
    token = _hotline("user", "add", "reader", "--role", "agent", "--db", db_url).stdout.strip()
    data = str(tmp_path / "term")
    number = _hotline("new", "--data-dir", data, "--description", "化粪池漫溢", "--address",
                      "芦席营22号", "--department", "street_office").stdout.strip()
    assert _hotline("sync", "--data-dir", data, "--server", server.url, "--token", token).returncode == 0
    empty = str(tmp_path / "other")  # another terminal's empty store: the listing comes from the server
    r = _hotline("cases", "--json", "--data-dir", empty, "--server", server.url, "--token", token)
    assert r.returncode == 0, r.stderr
    [case] = [json.loads(line) for line in r.stdout.splitlines()]
    assert (case["case_no"], case["description"], case["sync_state"]) == (number, "化粪池漫溢", "synced")
    bad = _hotline("cases", "--json", "--data-dir", empty, "--server", server.url, "--token", "nope")
    assert bad.returncode == 1 and "401" in bad.stderr


def test_cli_import_to_the_server(tmp_path, server, db_url):
    """`hotline import FILE --server URL`: a real file's cases go to the server (not the local
    store); importing it again adds nothing there."""
    from ..conftest import real_file

    path = real_file("nyc311_2024_sample.csv")
    # Imported history keeps its own dates and states: only an admin's token may send it.
    token = _hotline("user", "add", "importer", "--role", "admin", "--db", db_url).stdout.strip()
    data = str(tmp_path / "term")
    first = _hotline("import", str(path), "--json", "--data-dir", data, "--server", server.url,
                     "--token", token)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["imported"], summary["applied"], summary["refused"]) == (1000, 1000, 0)
    assert _server_case_count(db_url) == 1000
    assert _hotline("cases", "--json", "--data-dir", data).stdout == ""  # nothing stored locally
    again = json.loads(_hotline("import", str(path), "--json", "--data-dir", data, "--server",
                                server.url, "--token", token).stdout)
    assert (again["applied"], again["refused"]) == (0, 1000)
    assert _server_case_count(db_url) == 1000


def _server_case_count(db_url: str) -> int:
    from sqlalchemy import text

    db = server_db(db_url)
    try:
        with db.engine.connect() as conn:
            return conn.execute(text('SELECT count(*) FROM "case"')).scalar_one()
    finally:
        db.dispose()
