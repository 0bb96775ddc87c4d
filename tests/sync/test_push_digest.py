"""A seq sent again is compared with its first delivery by digest. The server writes that digest
with orjson; servers before it wrote it with json, which spells floats with an exponent
differently (1e-05 against 0.00001). A resend after the upgrade is still a duplicate, and changed
content under an old seq is still refused. On a real server, SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from sync.protocol import Mutation
from sync.server.push import json_payload_hash, payload_hash

from .attack_support import Terminal, create, execute, h, rows, wire_case
from .sync_fixtures import *  # noqa: F403 (fixtures)


def _resend(terminal: Terminal, mutation: dict) -> list[dict]:
    r = httpx.post(terminal.url + "/v1/push", headers=h(terminal.token), timeout=60,
                   json={"client_id": terminal.client_id, "mutations": [mutation]})
    assert r.status_code == 200, r.text[:500]
    return r.json()["results"]


def test_a_resend_matches_a_digest_recorded_before_orjson(server, make_user, db_url):
    alice = Terminal(server.url, make_user("alice"))
    case = wire_case(lat=1e-05, lon=118.7969)  # json writes 1e-05, orjson 0.00001
    sent = {**create(case), "seq": 1}
    assert alice.results(create(case))[0]["outcome"] == "applied"
    parsed = Mutation.model_validate(sent)
    old, new = json_payload_hash(parsed), payload_hash(parsed)
    assert old != new  # the case the fallback is for
    [recorded] = rows(db_url, "SELECT payload_hash FROM mutation WHERE client_id = :c",
                      c=alice.client_id)
    assert recorded.payload_hash == new
    execute(db_url, "UPDATE mutation SET payload_hash = :d WHERE client_id = :c", d=old,
            c=alice.client_id)  # as a server before orjson left it

    assert [r["outcome"] for r in _resend(alice, sent)] == ["duplicate"]
    changed = {**sent, "payload": {**sent["payload"], "case": {**case, "address": "别处"}}}
    [refused] = _resend(alice, changed)
    assert refused["outcome"] == "rejected" and "different content" in refused["reason"]
    [stored] = rows(db_url, 'SELECT address FROM "case" WHERE id = :i', i=case["id"])
    assert stored.address == case["address"]


def test_the_two_digests_agree_without_exponents():
    """Every mutation a terminal sends today (no float with an exponent) gets the digest a
    server before orjson gave it: records made by either answer resends alike."""
    case = wire_case(lat=32.0415, lon=118.7969, description="梧桐树上有马蜂窝 \u2028 \"quoted\"")
    parsed = Mutation.model_validate({**create(case), "seq": 7})
    assert payload_hash(parsed) == json_payload_hash(parsed)
    huge = Mutation.model_validate({**create(wire_case()), "seq": 8,
                                    "payload": {"case": {"n": 2**70}, "events": []}})
    assert payload_hash(huge) == json_payload_hash(huge)  # beyond orjson: json's digest


def test_a_body_reads_as_json_reads_it():
    """The push body is read with orjson where it reads as json does, and with json elsewhere:
    integers beyond 64 bits (which orjson would make floats), NaN, a BOM, 1e400."""
    import json

    from sync.server.jsonbody import parse_json

    for body in (b'{"a": [1, -0.0, 1e-05, 2.5e300, "\\u00e9\\ud83d\\ude00", null, true]}',
                 b'{"version": 1000000000000000000000000000000, "n": -9223372036854775809}',
                 b'[18446744073709551616, 9223372036854775807]', b'[NaN, 1e400]',
                 b'\xef\xbb\xbf{"a": 1}', '{"描述": "梧桐树上有马蜂窝"}'.encode()):
        assert repr(parse_json(body)) == repr(json.loads(body)), body
