"""The shift leads' review computed by the server, on PostgreSQL with many cases (issue 11
targets: every queue and the scoreboard under 300 ms p95 server side, hot spots over 30 days
under 2 s), and one lifecycle step from `hotline act` to visible on a second terminal (< 2 s).

1. A fresh database, migrated (Alembic, so the revision's indexes are what is measured), filled
   inside PostgreSQL with `INSERT ... SELECT generate_series` (no row crosses the wire; faster
   than COPY from Python on this machine): `--cases` cases over a year, five events each (created,
   dispatched, accepted or returned, resolved or progress, callback or note), the states a
   working city has (most closed, some resolved awaiting a callback, a few thousand open orders
   overdue, some awaiting dispatch), 500 street lights reported again and again.
2. A real server process on loopback (`python -m sync.server`); each endpoint is called
   `--runs` times with a lead's token: `/v1/leads/queues` (every queue's count), each
   `/v1/leads/queues/{key}` (its first 200 cases), `/v1/leads/scoreboard` for today, 7 and 30
   days, `/v1/leads/hotspots?days=30`. p50/p95 in ms, measured at the client (loopback HTTP
   included, so the server-side figure is at most this).
3. Step latency: terminal A takes a step with `take_step` (what `hotline act` runs) and syncs;
   terminal B syncs until the step is in its store; repeated `--steps` times.

    .venv/bin/python benchmarks/bench_server_leads.py [--cases 1000000] [--runs 30] [--keep]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from sync.server.auth import add_user  # noqa: E402
from sync.server.migrate import upgrade  # noqa: E402
from sync.server.reference import seed_reference  # noqa: E402
from tests.sync.sync_support import PgDatabases, ServerProcess, pg_reachable, server_db  # noqa: E402

DEPTS = ["street_light_office", "chengguan", "construction", "transport", "ecology",
         "housing_bureau", "water_utility", "market_regulation", "traffic_police", "street_office"]
CATS = ["street_light", "illegal_construction", "road_damage", "public_transport", "noise",
        "property_management", "septic_sewer", "consumer_dispute", "illegal_parking", "sanitation"]

# Case g (1..N): created (g mod 365) days ago plus some minutes; its state from h = g*7919 mod 1000.
CASES_SQL = """
INSERT INTO "case" (id, case_no, external_id, source, created_at, updated_at, caller_phone,
  caller_withheld, caller_name, title, description, address, district, location_kind, category,
  urgency, disposition, lead_department, co_departments, status, due_at, resolved_at, resolution,
  satisfaction, lat, lon, agent, version, repeat_count, sync_state, return_reason,
  extension_due_at, supervised_count, taken_at)
SELECT 'c' || lpad(g::text, 9, '0'), 'B-' || g, NULL, 'local', t.created, t.created,
  '+86139' || lpad((g % 100000000)::text, 8, '0'), false, '王女士',
  '路灯不亮 ' || g, '路灯不亮，晚上很黑 / street light out #' || g,
  CASE WHEN g % 40 = 0 THEN '梦都大街' || ((g / 40) % 500) || '号路灯'
       ELSE '幸福路' || (g % 20000) || '号' END,
  '建邺区', 'public_road',
  CASE WHEN g % 40 = 0 THEN 'street_light' ELSE (CAST(:cats AS text[]))[1 + g % 10] END,
  'normal', 'dispatch',
  CASE WHEN t.st = 'open' THEN '' ELSE (CAST(:depts AS text[]))[1 + (g / 7) % 10] END, '[]', t.st,
  CASE WHEN t.st = 'open' THEN NULL
       WHEN t.st IN ('dispatched', 'in_progress') AND g % 13 <> 0 THEN now() + interval '3 days'
       ELSE t.created + interval '5 days' END,
  CASE WHEN t.st IN ('resolved', 'closed') THEN t.created + interval '2 days' END,
  CASE WHEN t.st IN ('resolved', 'closed') THEN '已处理' ELSE '' END,
  CASE WHEN t.st = 'closed' THEN (ARRAY['satisfied','basically_satisfied','unsatisfied'])[1 + g % 3]
       ELSE '' END,
  NULL, NULL, 'agent' || (g % 50), 4, CASE WHEN g % 97 = 0 THEN 1 ELSE 0 END, 'synced',
  CASE WHEN t.st = 'returned' THEN 'not_our_jurisdiction' ELSE '' END, NULL,
  CASE WHEN g % 53 = 0 THEN 1 ELSE 0 END, NULL
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g,
LATERAL (SELECT now() - make_interval(days => g % 365, mins => g % 1440) AS created,
         CASE WHEN g % 365 > 20 THEN 'closed'  -- older than three weeks: done
              ELSE (ARRAY['closed','closed','closed','resolved','resolved','in_progress',
                          'in_progress','dispatched','returned','open'])[1 + (g::bigint * 7919) % 10]
         END AS st) AS t
"""

EVENTS_SQL = """
INSERT INTO caseevent (id, case_id, kind, at, agent, note, data)
SELECT 'e' || lpad(g::text, 9, '0') || '-' || k, 'c' || lpad(g::text, 9, '0'),
  CASE k WHEN 1 THEN 'created' WHEN 2 THEN 'dispatched'
         WHEN 3 THEN CASE WHEN g % 33 = 0 THEN 'returned' ELSE 'accepted' END
         WHEN 4 THEN CASE WHEN g % 2 = 0 THEN 'resolved' ELSE 'progress' END
         ELSE CASE WHEN g % 3 = 0 THEN 'callback' ELSE 'note' END END,
  now() - make_interval(days => g % 365, mins => g % 1440) + make_interval(hours => k),
  'agent' || (g % 50), CASE WHEN k >= 4 THEN '处理中' ELSE '' END,
  CASE k WHEN 3 THEN '{"reason": "not_our_jurisdiction"}'::json ELSE '{}'::json END
FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g, generate_series(1, 5) AS k
"""


def fill(url: str, n: int, chunk: int = 100_000) -> float:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for lo in range(1, n + 1, chunk):
            hi = min(n, lo + chunk - 1)
            conn.execute(text(CASES_SQL), {"lo": lo, "hi": hi, "cats": CATS, "depts": DEPTS})
            print(f"  cases {hi:,}/{n:,}  {time.perf_counter() - started:.0f} s", flush=True)
        for lo in range(1, n + 1, chunk):
            hi = min(n, lo + chunk - 1)
            conn.execute(text(EVENTS_SQL), {"lo": lo, "hi": hi})
            print(f"  events {5 * hi:,}/{5 * n:,}  {time.perf_counter() - started:.0f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text('VACUUM ANALYZE "case"'))
        conn.execute(text("VACUUM ANALYZE caseevent"))
    engine.dispose()
    return time.perf_counter() - started


def timed(client: httpx.Client, path: str, runs: int, **params) -> tuple[float, float, int]:
    times = []
    size = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(path, params=params)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
        body = r.json()
        size = len(body) if isinstance(body, list) else len(body.get("departments", []))
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, size


def step_latency(url: str, lead_token: str, steps: int) -> list[float]:
    """ms from `take_step` on terminal A to the step in terminal B's store."""
    from models.cases import file_case, timeline
    from models.cases.steps import take_step
    from models.domain.lifecycle import Action, Actor, Role, Step
    from sync.client.engine import SyncEngine
    from tests.sync.sync_support import draft, new_store

    out: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        a, b = new_store(Path(tmp) / "a", "BA"), new_store(Path(tmp) / "b", "BB")
        ea, eb = SyncEngine(a, url, lead_token), SyncEngine(b, url, lead_token)
        try:
            case = file_case(a, draft(1), "bench-lead")
            ea.sync_once()
            eb.sync_once()
            for i in range(steps):
                t0 = time.perf_counter()
                _, event = take_step(a, case.id, Actor("bench-lead", Role.LEAD),
                                     Step(Action.SUPERVISE, note=f"督办 {i}"))
                ea.sync_once()
                while event.id not in {e.id for e in timeline(b, case.id)}:
                    eb.sync_once()
                out.append((time.perf_counter() - t0) * 1000)
        finally:
            ea.close()
            eb.close()
            a.close()
            b.close()
    return out


def cli_step_latency(url: str, lead_token: str, steps: int) -> list[tuple[float, float]]:
    """The same through the real commands, each its own process as a script would run them:
    `hotline act` + `hotline sync` on A, then `hotline sync` on B until B's `hotline case
    --json` shows the step. Returns (ms from `act` to visible, ms of `act` alone)."""
    import json
    import os
    import subprocess

    def hotline(home: Path, *args: str) -> str:
        env = {**os.environ, "HOTLINE_DATA_DIR": str(home), "HOTLINE_LANG": "en",
               "HOTLINE_AGENT": "bench-lead"}
        done = subprocess.run([sys.executable, "-m", "agent_tui.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        if done.returncode not in (0, 1):
            raise SystemExit(f"hotline {' '.join(args)}: {done.returncode} {done.stderr[-500:]}")
        return done.stdout

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a", Path(tmp) / "b"
        for home in (a, b):
            hotline(home, "sync", "--server", url, "--token", lead_token, "--remember")
        number = hotline(a, "new", "--phone", "13912345678", "--description", "路灯不亮",
                         "--address", "梦都大街1号", "--category", "street_light",
                         "--department", "street_light_office").strip().split()[-1]
        hotline(a, "sync")
        hotline(b, "sync")
        for i in range(steps):
            t0 = time.perf_counter()
            hotline(a, "act", number, "supervise", "--note", f"督办 {i}")
            acted = time.perf_counter() - t0
            hotline(a, "sync")
            while True:
                hotline(b, "sync")
                events = json.loads(hotline(b, "case", number, "--json"))["events"]
                if sum(1 for e in events if e.get("kind") == "supervised") == i + 1:
                    break
            out.append(((time.perf_counter() - t0) * 1000, acted * 1000))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--cli-steps", type=int, default=3, help="Steps through the real commands (0: skip).")
    ap.add_argument("--keep", action="store_true", help="Keep the database (its URL is printed).")
    args = ap.parse_args()
    reason = pg_reachable()
    if reason:
        raise SystemExit(reason)
    dbs = PgDatabases()
    url = dbs.new()
    srv = None
    try:
        db = server_db(url)
        upgrade(db)
        seed_reference(db)
        token = add_user(db, "bench-lead", "lead")
        dept_token = add_user(db, "bench-lights", "department", department="street_light_office")
        db.dispose()
        print(f"filling {args.cases:,} cases and {5 * args.cases:,} events ...", flush=True)
        took = fill(url, args.cases)
        print(f"filled in {took:.0f} s (generate_series inside PostgreSQL, then VACUUM ANALYZE)")
        from sync.server.reminders import remind_due

        db = server_db(url)
        t0 = time.perf_counter()
        added = remind_due(db, is_workday=lambda day: True)
        print(f"reminders (催办) for the overdue open orders: {added:,} added in "
              f"{time.perf_counter() - t0:.1f} s; again: {remind_due(db, is_workday=lambda d: True)} added")
        db.dispose()
        srv = ServerProcess(url).start()
        client = httpx.Client(base_url=srv.url, timeout=60,
                              headers={"Authorization": f"Bearer {token}"})
        print(f"\n{'endpoint':<44} {'p50 ms':>8} {'p95 ms':>8} {'rows':>6}")
        rows = [("/v1/leads/queues", {}, "/v1/leads/queues")]
        from sync.server.leads import QUEUES

        rows += [(f"/v1/leads/queues/{k}", {}, f"/v1/leads/queues/{k}") for k in QUEUES]
        rows += [(f"/v1/leads/scoreboard?period={p}", {"period": p}, "/v1/leads/scoreboard")
                 for p in ("today", "7d", "30d")]
        rows += [("/v1/leads/hotspots?days=30", {"days": 30}, "/v1/leads/hotspots")]
        for label, params, path in rows:
            timed(client, path, 2, **params)  # warm
            p50, p95, size = timed(client, path, args.runs, **params)
            print(f"{label:<44} {p50:8.1f} {p95:8.1f} {size:6d}", flush=True)
        client.close()
        # A department's open orders (its own or co-handled, earliest deadline first) and the
        # public Open311 list (the last 90 days, 1,000 requests, each with its latest step).
        for label, path, headers in [
                ("/v1/department/orders (street lights)", "/v1/department/orders",
                 {"Authorization": f"Bearer {dept_token}"}),
                ("/open311/v2/requests.json (1,000)", "/open311/v2/requests.json", {})]:
            with httpx.Client(base_url=srv.url, timeout=60, headers=headers) as other:
                timed(other, path, 2)
                p50, p95, size = timed(other, path, args.runs)
            print(f"{label:<44} {p50:8.1f} {p95:8.1f} {size:6d}", flush=True)
        lat = sorted(step_latency(srv.url, token, args.steps))
        print(f"\nstep from take_step (hotline act) to visible on a second terminal, {len(lat)} steps: "
              f"p50 {statistics.median(lat):.0f} ms, max {lat[-1]:.0f} ms")
        if args.cli_steps:
            cli = cli_step_latency(srv.url, token, args.cli_steps)
            whole = sorted(x for x, _ in cli)
            acts = sorted(y for _, y in cli)
            print(f"the same with the commands (hotline act; hotline sync on A; hotline sync and "
                  f"hotline case --json on B), {len(cli)} steps: p50 {statistics.median(whole):.0f} ms, "
                  f"max {whole[-1]:.0f} ms; `hotline act` alone p50 {statistics.median(acts):.0f} ms")
    finally:
        if srv is not None:
            srv.stop()
        if args.keep:
            print(f"kept: {url}")
        else:
            dbs.drop_all()


if __name__ == "__main__":
    main()
