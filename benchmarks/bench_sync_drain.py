"""Drain 10,000 queued cases from one terminal to a local server on PostgreSQL (target < 10 s).

Starts `python -m sync.server` on a fresh PostgreSQL database (dropped afterwards) on a free
localhost port, queues N cases in a fresh terminal store (each with its 'created' event, through
the outbox writer), then times `SyncEngine.push_all` (the queue drains to empty) and the
following `pull_all` (the terminal catches up, its own cases coming back as synced).

    .venv/bin/python benchmarks/bench_sync_drain.py [--cases 10000] [--batch 500] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_sync_load import _cpu_seconds  # noqa: E402
from sqlalchemy import text  # noqa: E402

from sync.client import queue  # noqa: E402
from sync.client.engine import SyncEngine  # noqa: E402
from sync.server.auth import add_user  # noqa: E402
from sync.server.migrate import upgrade  # noqa: E402
from tests.sync.sync_support import (  # noqa: E402
    PgDatabases,
    ServerProcess,
    bulk_queue,
    new_store,
    pg_reachable,
    server_db,
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", default="", help="server database URL (default: a fresh PostgreSQL db)")
    args = ap.parse_args()
    dbs = None
    if args.db:
        url = args.db
    else:
        reason = pg_reachable()
        if reason:
            print(reason)
            return 1
        dbs = PgDatabases()
        url = dbs.new()
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    try:
        db = server_db(url)
        upgrade(db)
        token = add_user(db, "bench", "agent")
        srv = ServerProcess(url).start()
        store = new_store(tmp / "terminal", "BENCH")
        t0 = time.perf_counter()
        bulk_queue(store, args.cases)
        queued = time.perf_counter() - t0
        engine = SyncEngine(store, srv.url, token, batch_size=args.batch)
        server_cpu0, t0, cpu0 = _cpu_seconds(srv.proc.pid), time.perf_counter(), time.process_time()
        engine.push_all()
        drain = time.perf_counter() - t0
        terminal_cpu = time.process_time() - cpu0
        server_cpu = _cpu_seconds(srv.proc.pid) - server_cpu0
        t0 = time.perf_counter()
        engine.pull_all()
        pull = time.perf_counter() - t0
        engine.close()
        srv.stop()
        with db.engine.connect() as conn:
            on_server = conn.execute(text('SELECT count(*) FROM "case"')).scalar()
            mutations = conn.execute(text("SELECT count(*), count(DISTINCT seq) FROM mutation")).one()
        db.dispose()
        left = queue.pending_count(store)
        print(f"queued {args.cases:,} cases in {queued:.1f} s (setup, not timed)")
        print(f"drain: {args.cases:,} cases in {drain:.2f} s = {args.cases / drain:,.0f} cases/s "
              f"(batch {args.batch}, {engine.report.requests} requests incl. pulls)")
        print(f"CPU during the drain: server process {server_cpu:.2f} s, terminal {terminal_cpu:.2f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
        print(f"catch-up pull afterwards: {pull:.2f} s ({engine.report.pulled_cases:,} cases)")
        print(f"on server: {on_server:,} cases, {mutations[0]:,} mutations ({mutations[1]:,} distinct); "
              f"left in queue: {left}")
        ok = drain < 10 and on_server == args.cases and mutations[0] == mutations[1] == args.cases
        print("target (< 10 s, all once):", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        if dbs:
            dbs.drop_all()


if __name__ == "__main__":
    raise SystemExit(main())
