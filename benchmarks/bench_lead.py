"""F6, the shift lead's review, on a terminal holding many cases: how long from the key to the
first view drawn (target: under 500 ms with 1,000,000 cases), and each query behind it.

    python benchmarks/bench_lead.py [--cases 1000000] [--runs 5] [--keep DIR]

1. Builds a store with N cases by bulk inserts (executemany in 50,000-row transactions, not the
   filing path: a realistic mix of states over two years: most closed, some resolved awaiting a
   callback, dispatched, in progress, returned with a reason, awaiting dispatch, supervised,
   with extension requests, repeat calls; 40 departments, 60 categories, 2,000 addresses), one
   event per returned case, 200 outbox rows pending and 5 rejected.
2. Times each query the screen makes, in a fresh process state (first run: cold page cache of
   this process) then warm: `queue_counts` (every queue), each queue's first 200 rows, the
   scoreboard for each period, hot spots.
3. Opens the app headless at 80x24 and times F6 -> the first view's rows in the table
   ("first view drawn"), and F6 -> the queue counts on the views list, `--runs` times.
Prints every figure in milliseconds (min / median / max over the runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHUNK = 50_000


def build(path: Path, n: int, seed: int = 7) -> float:
    """Fill a new store with `n` cases; returns the seconds it took."""
    from models.domain.timeutil import to_db_text
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store
    from models.store.tables import Category, Department

    started = time.perf_counter()
    store = open_store(path)
    store.set_meta("terminal_prefix", "B01")
    with store.writer() as s:
        ensure_catalogue(s)
        from sqlmodel import select

        depts = [d.code for d in s.exec(select(Department)).all()][:40]
        cats = [c.code for c in s.exec(select(Category)).all()][:60]
    store.close()
    rng = random.Random(seed)
    addresses = [f"{rng.choice(['梦都大街', '凤台南路', '中山东路', 'Main Street', '虎踞路', '龙蟠中路'])}"
                 f"{i % 400}号" for i in range(2_000)]
    texts = ["路灯不亮已经一个多星期了，晚上走路看不见。", "小区门口垃圾堆放三天没人清运。",
             "A deep pothole on the road, cyclists fell twice.", "楼上装修噪音很大，周末早上七点就开始。",
             "Street light out at the corner, dark at night."]
    import sqlite3

    conn = sqlite3.connect(path / "hotline.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    columns = [r[1] for r in conn.execute('PRAGMA table_info("case")')]
    placeholders = ",".join("?" * len(columns))
    insert = f'INSERT INTO "case" ({",".join(columns)}) VALUES ({placeholders})'
    states = (["closed"] * 70 + ["resolved"] * 10 + ["dispatched"] * 8 + ["in_progress"] * 6
              + ["returned"] * 3 + ["open"] * 3)
    reasons = ["not_our_jurisdiction", "overlapping_duties", "insufficient_information", "duplicate"]
    span = 730 * 86400
    made = 0
    while made < n:
        rows, events = [], []
        for i in range(made, min(n, made + CHUNK)):
            created = NOW - timedelta(seconds=rng.random() * span)
            status = rng.choice(states)
            due = created + timedelta(days=rng.choice((3, 5, 10)))
            resolved = (created + timedelta(days=rng.random() * 12)
                        if status in ("resolved", "closed") else None)
            satisfaction = (rng.choice(["satisfied", "satisfied", "basically_satisfied", "unsatisfied"])
                            if status == "closed" else "")
            case_id = str(uuid.UUID(int=rng.getrandbits(128)))
            values = {
                "id": case_id, "case_no": f"B01-{created:%y%m%d}-{i % 10000:04d}",
                "external_id": None, "source": "bench", "created_at": to_db_text(created),
                "updated_at": to_db_text(created), "caller_phone": f"+86139{i:08d}",
                "caller_withheld": 0, "caller_name": "", "title": "",
                "description": rng.choice(texts), "address": rng.choice(addresses), "district": "",
                "location_kind": "public_road", "category": rng.choice(cats), "urgency": "normal",
                "disposition": "dispatch" if status != "open" or i % 2 else "dispatch",
                "lead_department": "" if status == "open" else rng.choice(depts),
                "co_departments": "[]", "status": status,
                "due_at": None if status == "open" else to_db_text(due),
                "resolved_at": to_db_text(resolved) if resolved else None,
                "resolution": "已处理" if resolved else "", "satisfaction": satisfaction,
                "lat": None, "lon": None, "agent": "bench", "version": 1,
                "repeat_count": 1 if rng.random() < 0.01 else 0, "sync_state": "synced",
                "return_reason": rng.choice(reasons) if status == "returned" else "",
                "extension_due_at": (to_db_text(due + timedelta(days=5))
                                     if status == "in_progress" and rng.random() < 0.05 else None),
                "supervised_count": 1 if status in ("dispatched", "in_progress") and rng.random() < 0.05 else 0,
                "taken_at": None,
            }
            rows.append(tuple(values[c] for c in columns))
            if status == "returned":
                events.append((str(uuid.uuid4()), case_id, "returned",
                               to_db_text(created + timedelta(days=1)), "dept", "",
                               json.dumps({"reason": values["return_reason"]})))
        with conn:
            conn.executemany(insert, rows)
            conn.executemany("INSERT INTO caseevent (id, case_id, kind, at, agent, note, data) "
                             "VALUES (?,?,?,?,?,?,?)", events)
        made += len(rows)
        print(f"  {made:,} cases", end="\r", flush=True)
    ids = [r[0] for r in conn.execute('SELECT id FROM "case" ORDER BY created_at DESC LIMIT 205')]
    with conn:
        conn.executemany(
            "INSERT INTO outbox (name, case_id, payload, created_at, state, reason) "
            "VALUES ('case.note.v1', ?, '{}', ?, ?, ?)",
            [(cid, to_db_text(NOW - timedelta(minutes=k)), "rejected" if k < 5 else "pending",
              "bench" if k < 5 else "") for k, cid in enumerate(ids)])
    conn.execute("ANALYZE")
    conn.close()
    print()
    return time.perf_counter() - started


def ms(values: list[float]) -> str:
    return (f"min {min(values) * 1000:7.1f}  median {statistics.median(values) * 1000:7.1f}"
            f"  max {max(values) * 1000:7.1f} ms")


def time_queries(path: Path, runs: int) -> None:
    from models.cases import lead_review
    from models.store import open_store

    store = open_store(path)
    at = NOW
    timings: dict[str, list[float]] = {}

    def timed(name: str, fn) -> None:
        start = time.perf_counter()
        fn()
        timings.setdefault(name, []).append(time.perf_counter() - start)

    for _ in range(runs):
        with store.session() as s:
            timed("queue_counts (all 11)", lambda: lead_review.queue_counts(s, at))
            for key in lead_review.QUEUES:
                timed(f"queue {key}", lambda key=key: lead_review.queue_cases(s, key, at))
            for period, days in lead_review.PERIODS.items():
                timed(f"scoreboard {period}", lambda days=days: lead_review.scoreboard(s, at, days))
            timed("hot spots 14 days", lambda: lead_review.hot_spots(s, at))
    store.close()
    for name, values in timings.items():
        print(f"  {name:<32} {ms(values)}")


class _Clock:
    """When the lead screen finished drawing its first view and its counts (the screen's own
    handlers, wrapped: the time is taken after the table is filled)."""

    def __init__(self) -> None:
        from agent_tui.screens import lead

        self.marks: dict[str, float] = {}
        shown, counted = lead.LeadScreen.on_view_loaded, lead.LeadScreen.on_counts_loaded

        def on_view_loaded(screen, message):
            shown(screen, message)
            self.marks.setdefault("view", time.perf_counter())

        def on_counts_loaded(screen, message):
            counted(screen, message)
            self.marks.setdefault("counts", time.perf_counter())

        lead.LeadScreen.on_view_loaded = on_view_loaded
        lead.LeadScreen.on_counts_loaded = on_counts_loaded


async def _open_f6(path: Path, clock: _Clock) -> tuple[float, float]:
    from agent_tui.app import HotlineApp
    from models.store import open_store

    store = open_store(path)
    app = HotlineApp(store, lang="zh", agent="lead", clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()  # the intake form's start-up loads are done
        await pilot.pause(0.2)
        clock.marks.clear()
        start = time.perf_counter()
        await pilot.press("f6")
        while len(clock.marks) < 2 and time.perf_counter() - start < 120:
            await asyncio.sleep(0.005)
    store.close()
    return clock.marks.get("view", start) - start, clock.marks.get("counts", start) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the store here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-lead-"))
    try:
        if not (work / "hotline.db").exists():
            print(f"building {args.cases:,} cases in {work} ...")
            seconds = build(work, args.cases)
            print(f"built in {seconds:.1f} s ({args.cases / seconds:,.0f} cases/s), "
                  f"{(work / 'hotline.db').stat().st_size / 1e6:,.0f} MB")
        print(f"queries ({args.runs} runs, the first cold for this process):")
        time_queries(work, args.runs)
        print("F6 in the app at 80x24 (each run a new app on the same store):")
        first, counts = [], []
        clock = _Clock()
        for _ in range(args.runs):
            f, c = asyncio.run(_open_f6(work, clock))
            first.append(f)
            counts.append(c)
        print(f"  F6 -> first view drawn          {ms(first)}")
        print(f"  F6 -> queue counts shown        {ms(counts)}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
