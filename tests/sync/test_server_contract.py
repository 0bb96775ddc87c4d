"""The server's contract with its clients, on real servers (SQLite and PostgreSQL): the
dependencies in `sync.server.deps` can be replaced with `app.dependency_overrides`, and every
error the server answers matches the schema the OpenAPI document declares for that route and
status (so a generated client or a schema fuzzer finds none non-conforming)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from jsonschema import Draft202012Validator

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


def _declared_schema(spec: dict, path: str, method: str, status: int) -> Draft202012Validator:
    """The JSON schema the document declares for this answer, its $refs resolved against the
    document's own components (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""
    response = spec["paths"][path][method]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": spec["components"]})


def _probes(url: str, agent: str, lead: str) -> list[tuple[str, str, int, httpx.Response]]:
    """(route template, method, expected status, the server's answer) for each kind of error."""
    gap_client = str(uuid.uuid4())

    def call(method: str, path: str, **kw) -> httpx.Response:
        return httpx.request(method, url + path, timeout=30, **kw)

    return [
        ("/v1/me", "get", 401, call("GET", "/v1/me")),
        ("/v1/me", "get", 401, call("GET", "/v1/me", headers=_h("nope.nope"))),
        ("/v1/conflicts", "get", 403, call("GET", "/v1/conflicts", headers=_h(agent))),
        ("/v1/cases/{case_id}", "get", 404, call("GET", "/v1/cases/nope", headers=_h(agent))),
        ("/v1/cases", "get", 422, call("GET", "/v1/cases?limit=0", headers=_h(agent))),
        ("/v1/conflicts/{conflict_id}/resolve", "post", 404,
         call("POST", "/v1/conflicts/nope/resolve", headers=_h(lead), json={"value": 1})),
        ("/v1/push", "post", 422, call("POST", "/v1/push", headers=_h(agent), json={"client_id": "x"})),
        ("/v1/push", "post", 422, call("POST", "/v1/push", headers=_h(agent), content=b"{not json")),
        ("/v1/push", "post", 422, call("POST", "/v1/push", headers=_h(agent), json={
            "client_id": gap_client, "mutations": [{"seq": 1, "name": "x"}, {"seq": 1, "name": "x"}]})),
        ("/v1/push", "post", 409, call("POST", "/v1/push", headers=_h(agent), json={
            "client_id": gap_client, "mutations": [{"seq": 5, "name": "case.note.v1"}]})),
        ("/v1/push", "post", 413, call("POST", "/v1/push", headers=_h(agent),
                                       content=b'{"client_id": "' + b"x" * (9 << 20) + b'"}')),
        ("/v1/pull", "post", 426, call("POST", "/v1/pull", headers=_h(agent, protocol=None),
                                       json={"client_id": gap_client})),
        ("/open311/v2/requests/{request_id}.json", "get", 404,
         call("GET", "/open311/v2/requests/nope.json")),
        ("/open311/v2/requests.json", "get", 422,
         call("GET", "/open311/v2/requests.json?status=sideways")),
    ]


def test_error_bodies_match_the_openapi_document(server, make_user):
    spec = httpx.get(server.url + "/openapi.json").json()
    agent, lead = make_user("a1"), make_user("boss", "lead")
    for path, method, status, r in _probes(server.url, agent, lead):
        assert r.status_code == status, (path, r.status_code, r.text[:200])
        validator = _declared_schema(spec, path, method, status)
        errors = [e.message for e in validator.iter_errors(r.json())]
        assert not errors, (path, status, r.json(), errors)
    # The check has teeth: FastAPI's default 422 body is not what the document declares.
    fastapi_422 = {"detail": [{"loc": ["body", "client_id"], "msg": "Field required", "type": "missing"}]}
    assert not _declared_schema(spec, "/v1/push", "post", 422).is_valid(fastapi_422)
    assert not _declared_schema(spec, "/open311/v2/requests.json", "get", 422).is_valid(
        {"error": "invalid_request", "detail": "x"})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_declared_error_is_ours(server):
    """No route promises FastAPI's default validation body, and every declared 4xx answer names
    the API's ErrorBody (or, under /open311/, the GeoReport error list)."""
    spec = httpx.get(server.url + "/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    declared = 0
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if not status.startswith("4"):
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                expected = "GeoReportErrors" if path.startswith("/open311/") else "ErrorBody"
                assert ref == f"#/components/schemas/{expected}", (path, method, status)
                declared += 1
            if op.get("parameters") or "requestBody" in op:  # what can fail validation says how
                assert "422" in op["responses"], (path, method)
    assert declared > 30
