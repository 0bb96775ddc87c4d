"""Attacks on what a value may be (issue 10, items 4 and 5): every value that enters through the
wire goes through the intake's validation; a bad one in a push rejects only its own mutation,
naming the field; a bad request is a 4xx naming the field, never a 500. And Open311 publishes
no personal data unless the city turns it on. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from sync.protocol import ErrorBody

from .attack_support import (
    Terminal,
    create,
    event,
    fields,
    h,
    rows,
    wire_case,
    wire_event,
)
from .sync_fixtures import *  # noqa: F403 (fixtures)


def test_a_bad_value_rejects_its_mutation_naming_the_field(server, make_user, db_url):
    """One batch: good cases between bad ones. Each bad one is rejected with the field in its
    reason; the good ones are stored, cleaned of control characters."""
    t = Terminal(server.url, make_user("a1"))
    good = wire_case(description="路灯不亮\x00\x1b]52;c;ZXZpbA==\x07 \x1b[2J请修", caller_name="王\x1b[31m女士")
    bad = {
        "description": wire_case(description="x" * 20_001),
        "case.id": wire_case(case_id="x" * 300),
        "caller_phone": wire_case(caller_phone="12"),
        "category": wire_case(category="no_such_category"),
        "lead_department": wire_case(lead_department="no_such_department"),
        "co_departments": wire_case(co_departments=["street_office", "nowhere"]),
        "caller_name": wire_case(caller_name="名" * 61),
        "address": wire_case(address="路" * 301),
        "case_no": wire_case(case_no="A\x00B"),
        "lat": wire_case(lat=1000.0),
        "urgency": wire_case(urgency="yesterday"),
    }
    mutations = [create(good)]
    for case in bad.values():
        mutations.append({**create(case), "case_id": case["id"][:64]})
    good_note = wire_event(good["id"], note="follow-up\x00 note")
    mutations.append(event(good_note, 0))
    results = t.results(*mutations)
    assert results[0]["outcome"] == "applied" and results[-1]["outcome"] == "applied"
    for (name, _), r in zip(bad.items(), results[1:-1], strict=True):
        assert r["outcome"] == "rejected", (name, r)
        field = "case id" if name == "case.id" else name
        assert field in r["reason"], (name, r["reason"])
    [stored] = rows(db_url, 'SELECT description, caller_name FROM "case"')
    assert stored.description == "路灯不亮]52;c;ZXZpbA== [2J请修" and stored.caller_name == "王[31m女士"
    [note] = rows(db_url, "SELECT note FROM caseevent WHERE kind = 'note'")
    assert note.note == "follow-up note"
    # An edit is checked the same way, with the server's catalogue.
    results = t.results(fields(good["id"], 0, category=("street_light", "no_such_category")),
                        fields(good["id"], 0, lat=(None, 91.5)),
                        fields(good["id"], 0, title=("", "t" * 201)),
                        fields(good["id"], 0, lead_department=("street_light_office", "城管")))
    assert [r["outcome"] for r in results] == ["rejected", "rejected", "rejected", "applied"]
    assert "category" in results[0]["reason"] and "lat" in results[1]["reason"]
    assert "title" in results[2]["reason"]
    assert rows(db_url, 'SELECT lead_department FROM "case"')[0][0] == "chengguan"


def test_an_admins_import_may_be_longer_but_not_unbounded(server, make_user, db_url):
    admin = Terminal(server.url, make_user("root", "admin"))
    history = dict(source="import:gov_messages_zh", created_at="2019-04-25T09:32:09+08:00",
                   updated_at="2019-04-25T09:32:09+08:00", status="resolved")
    long_ok = wire_case(description="长" * 150_000, district="区" * 96, external_id="g-1",
                        **history)
    too_long = wire_case(description="长" * 200_001, external_id="g-2", **history)
    line_too_long = wire_case(district="区" * 1_001, external_id="g-3", **history)
    results = admin.results(create(long_ok), create(too_long), create(line_too_long))
    assert [r["outcome"] for r in results] == ["applied", "rejected", "rejected"]
    assert "description" in results[1]["reason"] and "200000" in results[1]["reason"]
    assert "district" in results[2]["reason"] and "1000" in results[2]["reason"]


def _check(r: httpx.Response, status: int, field: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    text = json.dumps(body, ensure_ascii=False)
    assert field in text, (field, text[:300])
    assert "Traceback" not in r.text
    if isinstance(body, dict):
        ErrorBody.model_validate(body)


def test_bad_requests_are_4xx_naming_the_field_never_500(server, make_user, db_url):
    """The inputs that answered 500 with a traceback (issue 10, item 4), and their cousins."""
    agent, lead = make_user("a1"), make_user("boss", "lead")
    url, cid = server.url, str(uuid.uuid4())
    open311 = url + "/open311/v2/requests.json"
    _check(httpx.get(open311, params={"start_date": "2026-01-01T00:00:00"}), 422, "start_date")
    _check(httpx.get(open311, params={"end_date": "0001-01-01T00:00:00Z"}), 422, "end_date")
    _check(httpx.get(open311, params={"service_code": "a\x00b"}), 422, "service_code")
    _check(httpx.get(url + "/open311/v2/requests/a%00b.json"), 422, "request_id")
    _check(httpx.get(url + "/v1/cases", params={"offset": 2**63}, headers=h(agent)), 422, "offset")
    _check(httpx.get(url + "/v1/cases", params={"status": "a\x00b"}, headers=h(agent)), 422, "status")
    _check(httpx.get(url + "/v1/cases/a%00b", headers=h(agent)), 422, "case_id")
    _check(httpx.get(url + "/v1/mutations", params={"client_id": "a\x00b"}, headers=h(lead)),
           422, "client_id")
    _check(httpx.post(url + "/v1/conflicts/a%00b/resolve", json={"value": 1}, headers=h(lead)),
           422, "conflict_id")
    push = url + "/v1/push"
    _check(httpx.post(push, headers=h(agent), json={"client_id": cid, "mutations": [],
                                                    "queue_depth": 2**63}), 422, "queue_depth")
    _check(httpx.post(push, headers=h(agent), json={"client_id": cid, "mutations": [
        {"seq": 2**63, "name": "case.note.v1"}]}), 422, "seq")
    _check(httpx.post(push, headers=h(agent), json={"client_id": "abcdefgh\x00", "mutations": []}),
           422, "client_id")
    _check(httpx.post(url + "/v1/pull", headers=h(agent), json={"client_id": cid, "cursor": 2**63}),
           422, "cursor")
    _check(httpx.post(push, headers={**h(agent), "X-Hotline-Protocol": str(10**30)},
                      json={"client_id": cid, "mutations": []}), 422, "x-hotline-protocol")
    surrogate = (b'{"client_id": "' + cid.encode() + b'", "mutations": [{"seq": 1, '
                 b'"name": "case.note.v1", "payload": {"event": {"note": "\\ud800"}}}]}')
    _check(httpx.post(push, headers={**h(agent), "Content-Type": "application/json"},
                      content=surrogate), 422, "body.mutations.0.payload.event.note")
    _check(httpx.post(push, headers={**h(agent), "Content-Type": "application/json"},
                      content=b"[" * 200_000), 422, "nested too deeply")
    _check(httpx.post(push, headers={**h(agent), "Content-Type": "application/json"},
                      content=b'{"client_id": "\xff\xfe"}'), 422, "not UTF-8")
    # A version of 10**30 in a pushed case is no error: the server sets version 1 itself.
    t = Terminal(url, agent)
    case = wire_case(version=10**30, repeat_count=-5)
    assert t.results(create(case))[0]["outcome"] == "applied"
    assert rows(db_url, 'SELECT version, repeat_count FROM "case"')[0] == (1, 0)
    # A conflict settled with a value its field cannot hold is refused, naming the field.
    other = Terminal(url, lead)
    t.results(fields(case["id"], 0, address=("梦都大街1号", "A")))
    other.results(fields(case["id"], 0, address=("梦都大街1号", "B")))
    [conflict] = httpx.get(url + "/v1/conflicts", headers=h(lead)).json()
    _check(httpx.post(url + f"/v1/conflicts/{conflict['id']}/resolve", headers=h(lead),
                      json={"value": {"not": "text"}}), 422, "address")
    assert httpx.get(url + "/healthz").json()["ok"] is True


def _published(server_url: str) -> list[dict]:
    r = httpx.get(server_url + "/open311/v2/requests.json")
    assert r.status_code == 200, r.text
    return r.json()


def test_open311_publishes_no_personal_data_unless_the_city_says_so(db_url, make_user):
    from sync.server.run import ThreadedServer
    from sync.server.settings import ServerSettings

    secret = dict(description="邻居张三（身份证 320102199001011234，电话 13900001111）噪音扰民",
                  caller_name="李四", caller_phone="+8613812345678", address="梦都大街88号3单元",
                  district="建邺区", lat=32.0123456, lon=118.7234567, resolution="已联系张三 13900001111")
    default = ThreadedServer(db_url).start()
    try:
        token = make_user("a1")
        case = wire_case(**secret)
        assert Terminal(default.url, token).results(create(case))[0]["outcome"] == "applied"
        [req] = _published(default.url)
        text = json.dumps(req, ensure_ascii=False)
        for private in ("张三", "13900001111", "13812345678", "李四", "梦都大街88号", "320102"):
            assert private not in text, private
        assert (req["description"], req["status_notes"], req["address"]) == (None, None, "建邺区")
        assert (req["lat"], req["long"]) == (32.012, 118.723)
        assert req["service_code"] == "street_light" and req["status"] == "open"
        assert req["requested_datetime"]
        [one] = httpx.get(default.url + f"/open311/v2/requests/{req['service_request_id']}.json").json()
        assert one == req
    finally:
        default.stop()
    city = ThreadedServer(db_url, settings=ServerSettings(
        open311_descriptions=True, open311_addresses=True)).start()
    try:
        [req] = _published(city.url)
        assert req["description"] == secret["description"] and req["address"] == secret["address"]
        assert req["lat"] == secret["lat"]
        text = json.dumps(req, ensure_ascii=False)
        assert "李四" not in text and "13812345678" not in text  # never the caller
    finally:
        city.stop()
    off = ThreadedServer(db_url, settings=ServerSettings(open311=False)).start()
    try:
        r = httpx.get(off.url + "/open311/v2/requests.json")
        assert r.status_code == 404 and r.json()[0]["code"] == 404
        assert httpx.get(off.url + "/open311/v2/services.json").status_code == 404
    finally:
        off.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_schema_bounds_every_request_integer_and_string(server):
    """Every integer and string a request may carry has bounds in the OpenAPI document (what
    schemathesis and generated clients see)."""
    spec = httpx.get(server.url + "/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def unbounded(schema: dict, where: str) -> list[str]:
        found = []
        if "$ref" in schema:
            return unbounded(schemas[schema["$ref"].rsplit("/", 1)[1]], where)
        for sub in schema.get("anyOf", []):
            found += unbounded(sub, where)
        kind = schema.get("type")
        if kind == "integer" and "maximum" not in schema:
            found.append(where)
        if kind == "string" and not ({"maxLength", "enum", "format", "const"} & set(schema)):
            found.append(where)
        for name, prop in schema.get("properties", {}).items():
            found += unbounded(prop, f"{where}.{name}")
        if kind == "array" and "items" in schema:
            found += unbounded(schema["items"], f"{where}[]")
        return found

    problems = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                if param["schema"].get("type") == "boolean":
                    continue
                problems += unbounded(param["schema"], f"{method} {path} {param['name']}")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                problems += unbounded(body["schema"], f"{method} {path} body")
    # Wire payloads are free-form objects checked by the server's validation, not the schema.
    assert problems == [], problems
