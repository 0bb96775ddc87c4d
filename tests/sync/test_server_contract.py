"""The server's contract with its clients, on real servers (SQLite and PostgreSQL): the
dependencies in `sync.server.deps` can be replaced with `app.dependency_overrides`."""

from __future__ import annotations

import uuid

import httpx

from sync.protocol import PROTOCOL_HEADER

from .sync_fixtures import *  # noqa: F403 (fixtures)


def _h(token: str | None = None, protocol: str | None = "1") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if protocol is not None:
        headers[PROTOCOL_HEADER] = protocol
    return headers


def test_dependencies_can_be_overridden(server):
    from sync.server import deps
    from sync.server.auth import User
    from sync.server.settings import ServerSettings

    overrides = server.app.dependency_overrides
    overrides[deps.current_user] = lambda: User("boss", "lead")
    try:
        # No token at all: the override is the user, and the role checks run on it.
        assert httpx.get(server.url + "/v1/me").json() == {"id": "boss", "role": "lead"}
        assert httpx.get(server.url + "/v1/conflicts").json() == []
        overrides[deps.current_user] = lambda: User("a1", "agent")
        r = httpx.get(server.url + "/v1/conflicts")
        assert r.status_code == 403 and "needs lead or admin" in r.json()["detail"]
        # The services get the overriding user: the terminal is bound to it.
        client_id = str(uuid.uuid4())
        r = httpx.post(server.url + "/v1/push", headers=_h(),
                       json={"client_id": client_id, "mutations": []})
        assert r.status_code == 200, r.text
        overrides[deps.current_user] = lambda: User("boss", "lead")
        terminals = httpx.get(server.url + "/v1/terminals").json()
        assert [(t["client_id"], t["user_id"]) for t in terminals] == [(client_id, "a1")]
        # The settings too: the protocol check reads them through a dependency.
        overrides[deps.settings] = lambda: ServerSettings(db="unused", min_protocol=2)
        r = httpx.post(server.url + "/v1/pull", headers=_h(), json={"client_id": client_id})
        assert r.status_code == 426 and r.json()["min_protocol"] == 2
    finally:
        overrides.clear()
    assert httpx.get(server.url + "/v1/me").status_code == 401
