"""The per-batch parts of a push that JSON costs, each beside the json-module way in the same run
(best of N, one process, no HTTP): the terminal reading a batch of 500 from its outbox, the
server reading the request body, the server digesting each mutation for its dedup record.

    .venv/bin/python benchmarks/bench_push_parts.py [--batch 500] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from models.domain.timeutil import from_db_text  # noqa: E402
from sync.client import queue  # noqa: E402
from sync.protocol import Mutation, PushRequest  # noqa: E402
from sync.server.jsonbody import parse_json  # noqa: E402
from sync.server.push import json_payload_hash, payload_hash  # noqa: E402
from tests.sync.sync_support import bulk_queue, new_store  # noqa: E402


def best_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1000


def next_batch_validated(store, limit: int) -> list[Mutation]:
    """The terminal's read before: json.loads and a validated model per row."""
    with store.session() as s:
        rows = s.execute(text(
            "SELECT seq, name, case_id, payload, created_at FROM outbox WHERE state = 'pending' "
            "ORDER BY seq LIMIT :n"), {"n": limit}).all()
    return [Mutation(seq=r.seq, name=r.name, case_id=r.case_id, payload=json.loads(r.payload),
                     at=from_db_text(r.created_at)) for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    store = new_store(Path(tempfile.mkdtemp(prefix="hotline-bench-")) / "terminal", "BENCH")
    bulk_queue(store, args.batch)
    batch = queue.next_batch(store, args.batch)
    body = PushRequest(client_id="bench-terminal", mutations=batch).model_dump_json().encode()
    assert parse_json(body) == json.loads(body)
    rows = [
        ("terminal: read a batch from the outbox", lambda: next_batch_validated(store, args.batch),
         lambda: queue.next_batch(store, args.batch)),
        ("server: read the request body", lambda: json.loads(body), lambda: parse_json(body)),
        ("server: digest each mutation", lambda: [json_payload_hash(m) for m in batch],
         lambda: [payload_hash(m) for m in batch]),
    ]
    print(f"a batch of {len(batch)} new cases, {len(body) / 1e6:.2f} MB on the wire; best of "
          f"{args.repeat}, ms per batch")
    print(f"{'part':42} {'json':>8} {'now':>8} {'saved':>7}")
    for label, before, after in rows:
        b, a = best_ms(before, args.repeat), best_ms(after, args.repeat)
        print(f"{label:42} {b:8.1f} {a:8.1f} {1 - a / b:7.0%}")


if __name__ == "__main__":
    main()
