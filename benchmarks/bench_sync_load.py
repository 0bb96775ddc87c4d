"""200 simulated terminals pushing and pulling at once for 60 s against two server processes on
one PostgreSQL (targets: push p99 < 100 ms, zero lost, zero duplicated; throughput reported).

Each simulated terminal has its own client id and user token and an in-memory outbox: it files
a case (sometimes with a note on an earlier one) every `--interval` seconds on average, pushes
its queue (resending the same batch after any failure, as the real sender does), and pulls with
its cursor. Terminals alternate between the two servers. All traffic goes to 127.0.0.1; every
loop ends at the deadline, then each terminal drains what it still holds (bounded).

Afterwards the database is checked: for every terminal, the server processed exactly the
sequence numbers it sent, once each and in order, and every case it filed exists once.

    .venv/bin/python benchmarks/bench_sync_load.py [--terminals 200] [--seconds 60] [--interval 2]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION  # noqa: E402
from sync.server.auth import add_user  # noqa: E402
from sync.server.migrate import upgrade  # noqa: E402
from tests.sync.sync_support import PgDatabases, ServerProcess, pg_reachable, server_db  # noqa: E402


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Terminal:
    def __init__(self, n: int, token: str, url: str, rng: random.Random, horizon: int) -> None:
        self.n, self.token, self.url, self.rng, self.horizon = n, token, url, rng, horizon
        self.client_id = str(uuid.uuid4())
        self.seq = 0
        self.outbox: list[dict] = []
        self.cases: list[str] = []
        self.confirmed = 0
        self.cursor = 0
        self.push_ms: list[float] = []
        self.pull_ms: list[float] = []
        self.errors = 0

    def file_case(self) -> None:
        at = _now()
        cid = str(uuid.uuid4())
        self.seq += 1
        self.outbox.append({"seq": self.seq, "name": "case.create.v1", "case_id": cid, "at": at,
                            "payload": {"case": {
                                "id": cid, "case_no": f"L{self.n:03d}-{self.seq:06d}",
                                "created_at": at, "updated_at": at,
                                "description": f"load test case {self.seq} from terminal {self.n}",
                                "address": "梦都大街", "category": "street_light",
                                "lead_department": "street_light_office", "status": "dispatched",
                                "agent": f"load{self.n}"},
                                "events": [{"id": str(uuid.uuid4()), "case_id": cid, "kind": "created",
                                            "at": at, "agent": f"load{self.n}"}]}})
        self.cases.append(cid)
        if len(self.cases) > 1 and self.rng.random() < 0.3:
            target = self.rng.choice(self.cases[:-1])
            self.seq += 1
            self.outbox.append({"seq": self.seq, "name": "case.note.v1", "case_id": target, "at": at,
                                "payload": {"event": {"id": str(uuid.uuid4()), "case_id": target,
                                                      "kind": "note", "at": at,
                                                      "agent": f"load{self.n}", "note": "回访"}}})

    async def push(self, client: httpx.AsyncClient) -> None:
        if not self.outbox:
            return
        batch = self.outbox[:200]
        t0 = time.perf_counter()
        try:
            r = await client.post(self.url + "/v1/push", json={
                "client_id": self.client_id, "mutations": batch, "queue_depth": len(self.outbox)},
                headers=self._headers())
        except httpx.HTTPError:
            self.errors += 1
            return
        self.push_ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            self.errors += 1
            return
        done = {res["seq"] for res in r.json()["results"]}
        self.confirmed += sum(1 for m in batch if m["seq"] in done)
        self.outbox = [m for m in self.outbox if m["seq"] not in done]

    async def pull(self, client: httpx.AsyncClient) -> None:
        t0 = time.perf_counter()
        try:
            r = await client.post(self.url + "/v1/pull", json={
                "client_id": self.client_id, "cursor": self.cursor, "limit": 500,
                "horizon_days": self.horizon}, headers=self._headers())
        except httpx.HTTPError:
            self.errors += 1
            return
        self.pull_ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code == 200:
            self.cursor = r.json()["cursor"]
        else:
            self.errors += 1

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", PROTOCOL_HEADER: str(PROTOCOL_VERSION)}

    async def run(self, client: httpx.AsyncClient, deadline: float, interval: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, interval))  # terminals start spread out
        while time.monotonic() < deadline:
            self.file_case()
            await self.push(client)
            await self.pull(client)
            pause = self.rng.expovariate(1 / interval)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    async def drain(self, client: httpx.AsyncClient, deadline: float) -> None:
        while self.outbox and time.monotonic() < deadline:
            await self.push(client)
            if self.outbox:
                await asyncio.sleep(0.2)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    import os
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def drive(terminals: list[Terminal], seconds: float, interval: float) -> float:
    limits = httpx.Limits(max_connections=len(terminals), max_keepalive_connections=len(terminals))
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        t0 = time.monotonic()
        await asyncio.gather(*(t.run(client, t0 + seconds, interval) for t in terminals))
        elapsed = time.monotonic() - t0
        await asyncio.gather(*(t.drain(client, time.monotonic() + 60) for t in terminals))
    return elapsed


def _run_share(spec: tuple) -> list[dict]:
    """One load-generator process: its share of the terminals, on its own event loop."""
    share, seconds, interval, horizon = spec
    terminals = [Terminal(n, token, url, random.Random(seed), horizon)
                 for n, token, url, seed in share]
    # This process stands for many terminals at once: its own collector's full passes (50-80 ms,
    # over everything imported) would stop all of their requests and count as server latency.
    gc.freeze()
    elapsed = asyncio.run(drive(terminals, seconds, interval))
    return [{"client_id": t.client_id, "seq": t.seq, "left": len(t.outbox), "cases": len(t.cases),
             "push_ms": t.push_ms, "pull_ms": t.pull_ms, "errors": t.errors, "elapsed": elapsed}
            for t in terminals]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--terminals", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--interval", type=float, default=10.0,
                    help="mean seconds between a terminal's saves (and pulls)")
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--procs", type=int, default=4, help="load-generator processes")
    ap.add_argument("--horizon", type=int, default=0,
                    help="days of other terminals' cases each pull replicates (0: own cases only)")
    args = ap.parse_args()
    reason = pg_reachable()
    if reason:
        print(reason)
        return 1
    dbs = PgDatabases()
    servers: list[ServerProcess] = []
    try:
        url = dbs.new()
        db = server_db(url)
        upgrade(db)
        tokens = [add_user(db, f"load{i:03d}", "agent") for i in range(args.terminals)]
        servers = [ServerProcess(url).start() for _ in range(args.servers)]
        rng = random.Random(6)
        specs = [(i, tokens[i], servers[i % len(servers)].url, rng.random())
                 for i in range(args.terminals)]
        shares = [(specs[k::args.procs], args.seconds, args.interval, args.horizon)
                  for k in range(args.procs)]
        cpu0 = sum(_cpu_seconds(srv.proc.pid) for srv in servers)
        with multiprocessing.get_context("spawn").Pool(args.procs) as pool:
            terminals = [t for part in pool.map(_run_share, shares) for t in part]
        server_cpu = sum(_cpu_seconds(srv.proc.pid) for srv in servers) - cpu0
        elapsed = max(t["elapsed"] for t in terminals)
        pushes = [ms for t in terminals for ms in t["push_ms"]]
        pulls = [ms for t in terminals for ms in t["pull_ms"]]
        sent = sum(t["seq"] for t in terminals)
        left = sum(t["left"] for t in terminals)
        with db.engine.connect() as conn:
            per_client = {r.client_id: (r.n, r.lo, r.hi, r.distinct_seq) for r in conn.execute(text(
                "SELECT client_id, count(*) AS n, min(seq) AS lo, max(seq) AS hi, "
                "count(DISTINCT seq) AS distinct_seq FROM mutation GROUP BY client_id"))}
            applied = conn.execute(text(
                "SELECT count(*) FROM mutation WHERE outcome = 'applied'")).scalar()
            case_rows = conn.execute(text('SELECT count(*), count(DISTINCT id) FROM "case"')).one()
            notes = conn.execute(text("SELECT count(*) FROM caseevent WHERE kind = 'note'")).scalar()
        db.dispose()
        lost = duplicated = 0
        for t in terminals:
            n, lo, hi, distinct = per_client.get(t["client_id"], (0, None, None, 0))
            expected = t["seq"] - t["left"]
            lost += max(0, expected - distinct)
            duplicated += n - distinct
            if n and (lo != 1 or hi != n):
                lost += 1
        filed = sum(t["cases"] for t in terminals)
        lost += max(0, filed - case_rows[0])
        duplicated += case_rows[0] - case_rows[1]
        errors = sum(t["errors"] for t in terminals)
        print(f"{args.terminals} terminals ({args.procs} generator processes), "
              f"{args.servers} server processes on one PostgreSQL, "
              f"{elapsed:.0f} s (+ drain); a save every {args.interval:g} s per terminal; "
              f"pull horizon {args.horizon} days")
        print(f"mutations sent {sent:,} (cases {filed:,}, notes {notes:,}); applied on server "
              f"{applied:,}; still queued {left}")
        print(f"push: {len(pushes):,} requests, {len(pushes) / elapsed:,.0f}/s, "
              f"p50 {pct(pushes, 50):.1f} ms, p95 {pct(pushes, 95):.1f} ms, "
              f"p99 {pct(pushes, 99):.1f} ms, max {max(pushes):.0f} ms")
        print(f"pull: {len(pulls):,} requests, {len(pulls) / elapsed:,.0f}/s, "
              f"p50 {pct(pulls, 50):.1f} ms, p99 {pct(pulls, 99):.1f} ms")
        print(f"throughput: {applied / elapsed:,.0f} mutations/s applied; "
              f"request errors {errors}; lost {lost}; duplicated {duplicated}")
        print(f"server CPU: {server_cpu:.1f} s for {len(pushes) + len(pulls):,} requests = "
              f"{1000 * server_cpu / max(1, len(pushes) + len(pulls)):.1f} ms per request")
        ok = pct(pushes, 99) < 100 and lost == 0 and duplicated == 0 and left == 0
        print("targets (push p99 < 100 ms, zero lost, zero duplicated):", "met" if ok else "NOT met")
        print(f"mean push latency {statistics.mean(pushes):.1f} ms")
        return 0 if ok else 1
    finally:
        for s in servers:
            s.stop()
        dbs.drop_all()


if __name__ == "__main__":
    raise SystemExit(main())
