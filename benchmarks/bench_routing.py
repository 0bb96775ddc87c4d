"""Routing speed with a million cases of history: time to learn from an import, suggestion latency.

    python benchmarks/bench_routing.py [--rows 1000000] [--queries 300]

History is made from the real rows in ../shared/data/real/ (NYC, LA and the Chinese messages,
each with its department and category), repeated with varied places until there are --rows of
them, written as a case CSV and imported. Learning (`Router.refresh`, as the first `hotline route`
after an import does) is timed alone, then suggestions for real request texts: p50 and p95, for
the router alone and for a whole suggestion as the intake screen asks for it (the 10 nearest past
cases from the similar-case search, then the router with their vote: `models.cases.routing`).
The process's peak memory (ru_maxrss) is printed at the end.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "real"

from models.cases.routing import suggest  # noqa: E402
from models.demo import PLACES_EN, PLACES_ZH  # noqa: E402
from models.importing.importer import import_csv  # noqa: E402
from models.reference.catalogue import ensure_catalogue  # noqa: E402
from models.routing import Router  # noqa: E402
from models.search.engine import SimilarCaseSearch  # noqa: E402
from models.store import open_store  # noqa: E402


def real_rows(tmp: Path) -> list[tuple[str, str, str, str]]:
    """(title, description, category, department name) of every real row, via the importers."""
    out = []
    for file in ("nyc311_2011_sample.csv", "nyc311_2024_sample.csv", "la311_2017_sample.csv",
                 "gov_messages_zh_with_replies.csv"):
        store = open_store(tmp / file)
        import_csv(store, REAL / file, accept_departments=True)
        with store.raw() as conn:
            out.extend(conn.execute(
                'SELECT c.title, c.description, c.category, coalesce(nullif(d.name_zh, \'\'), '
                'nullif(d.name_en, \'\'), \'\') FROM "case" c LEFT JOIN department d '
                'ON d.code = c.lead_department').fetchall())
        store.close()
    return out


def make_csv(path: Path, rows: int, source: list[tuple[str, str, str, str]]) -> None:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "created_at", "address", "category", "department", "status",
                    "title", "description"])
        for i in range(rows):
            title, description, category, department = source[rng.randrange(len(source))]
            zh = any("\u4e00" <= ch <= "\u9fff" for ch in description)
            place = rng.choice(PLACES_ZH if zh else PLACES_EN)
            w.writerow([f"R{i:08d}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00",
                        place, category, department, "resolved" if i % 5 else "returned",
                        title, f"{place} {description}"])


def catch_up(store, router, source, queries, new_cases: int = 500) -> None:
    """A terminal's start after a day's work: `new_cases` cases the statistics have not seen
    (saved or synced), learned by the app's router on a thread (`SharedRouter.refresh`, as the
    intake screen's start does) while suggestions are asked for on another, as an agent typing
    the first call would; their latency during the catch-up, beside the catch-up's length."""
    import threading

    from agent_tui.services import SharedRouter

    path = store.data_dir.parent / "new.csv"
    make_csv(path, new_cases, source)
    with open(path, encoding="utf-8") as f:  # other ids than the history's
        text = f.read().replace("\nR", "\nN")
    path.write_text(text, encoding="utf-8")
    import_csv(store, path, accept_departments=True)
    router.close()
    shared = SharedRouter(store)
    shared.suggest("warm-up 路灯不亮", lang="zh")  # the router made, as after the first frame
    learning = threading.Thread(target=shared.refresh)
    t = time.perf_counter()
    learning.start()
    times = []
    while learning.is_alive() or not times:
        title, description, _, _ = queries[len(times) % len(queries)]
        q = time.perf_counter()
        shared.suggest(f"{title} {description}", lang="zh")
        times.append((time.perf_counter() - q) * 1000)
        time.sleep(0.05)  # an agent's pace: a suggestion asked for every few keys
    learning.join()
    took = time.perf_counter() - t
    times.sort()
    print(f"catch-up after {new_cases} new cases (the app's router, on a thread): {took:.2f}s; "
          f"{len(times)} suggestions asked meanwhile: p50 {statistics.median(times):.1f} ms, "
          f"max {times[-1]:.1f} ms", flush=True)
    shared.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-route-"))
    source = real_rows(tmp)
    path = tmp / "history.csv"
    t = time.perf_counter()
    make_csv(path, args.rows, source)
    print(f"generated {args.rows:,} cases ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t:.0f}s", flush=True)
    store = open_store(tmp / "store")
    with store.writer() as s:
        ensure_catalogue(s)
    t = time.perf_counter()
    report = import_csv(store, path, accept_departments=True)
    print(f"imported {report.imported:,} in {time.perf_counter() - t:.0f}s", flush=True)
    router = Router.for_store(store)
    t = time.perf_counter()
    learned = router.refresh()
    learn_s = time.perf_counter() - t
    size = (store.data_dir / "routing.db").stat().st_size / 1e6
    print(f"learned from {learned.cases:,} cases in {learn_s:.1f}s "
          f"({learned.cases / learn_s:,.0f} cases/s; statistics file {size:.0f} MB)", flush=True)

    rng = random.Random(11)
    queries = [rng.choice(source) for _ in range(args.queries)]
    search = SimilarCaseSearch(store)
    router.suggest("warm-up 路灯不亮")
    suggest(router, search, "warm-up 路灯不亮")
    for label, run in (("router alone", lambda text: router.suggest(text, lang="zh")),
                       ("search for 10 neighbours + router",
                        lambda text: suggest(router, search, text, lang="zh"))):
        times = []
        for title, description, _, _ in queries:
            text = f"{title} {description}"
            t = time.perf_counter()
            run(text)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[int(0.95 * len(times)) - 1]
        print(f"suggestions over {args.rows:,} cases of history ({len(times)} real request texts), "
              f"{label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
              f"max {times[-1]:.1f} ms", flush=True)
    search.close()
    catch_up(store, router, source, queries)  # (closes the router: the app's takes over)
    import resource

    print(f"peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    store.close()


if __name__ == "__main__":
    main()
