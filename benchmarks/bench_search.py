"""Search speed with a big local store: the engine beside the FTS5 trigram baseline.

    python benchmarks/bench_search.py [--rows 1000000] [--keep DIR]

Generates N cases (Chinese and English, from the demo's scenarios with varied places, callers
and details), imports them (the import builds the search index as it goes), builds the FTS5
trigram baseline on the same store, then times queries in a fresh process (so its resident
memory is the query side's own): Chinese (including two-character words such as 路灯) and
English, text alone and with an address or phone. Prints p50/p95 per language, build times,
index sizes and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ZH_ROADS = ["龙蟠中路", "中山东路", "汉中门大街", "集庆门大街", "湖南路", "虎踞路", "宁海路", "应天大街",
            "北京西路", "珠江路", "太平南路", "江东北路", "水西门大街", "广州路", "上海路", "草场门大街"]
ZH_COMPOUNDS = ["阳光小区", "景蓉华苑", "金陵花园", "月苑小区", "银城家园", "锁金新村", "南湖新村"]
EN_STREETS = ["Main Street", "Broadway", "5th Ave", "Park Place", "Maple Ave", "W Bellevue Ave",
              "Ocean Blvd", "Atlantic Ave", "Lexington Ave", "Court St", "Flatbush Ave", "Sunset Blvd"]
ZH_EXTRA = ["已经反映过好几次了", "希望尽快处理", "晚上特别危险", "老人孩子出行不便", "物业说不归他们管",
            "打电话没人接", "已经持续一个月", "影响附近居民休息", "请有关部门核实", "周末更严重"]
EN_EXTRA = ["called twice already", "please send someone soon", "very dangerous at night",
            "the landlord does nothing", "it has been going on for weeks", "kids walk past here"]

QUERIES_ZH = ["路灯", "油烟", "马蜂", "化粪池", "路灯不亮", "马蜂窝", "楼下饭店油烟直排", "预付卡退不了",
              "健身房关门跑路", "楼顶私自搭建彩钢房", "路灯坏了晚上很黑", "小区里的树上有个大马蜂窝",
              "噪音扰民", "下水道堵塞", "路燈不亮", "违章搭建"]
QUERIES_EN = ["pothole", "street light", "hornet nest", "loud music", "street lights dark",
              "hornets nesting in a street tree", "restaurant cooking fumes", "prepaid card refund",
              "gym closed overnight", "illegal construction on the roof", "septic tank overflowing",
              "broken street light very dark at night", "Barbecue smoke", "noise until midnight"]


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    from models.demo import SCENARIOS

    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "created_at", "caller_phone", "address", "category", "department",
                    "status", "description"])
        for i in range(rows):
            sc = SCENARIOS[(i // 2) % len(SCENARIOS)]  # every scenario in both languages
            if i % 2:
                place = (f"{rng.choice(ZH_ROADS)}{rng.randint(1, 400)}号" if rng.random() < 0.7
                         else f"{rng.choice(ZH_COMPOUNDS)}{rng.randint(1, 30)}栋")
                text = rng.choice(sc.zh).format(place=place) + rng.choice(ZH_EXTRA)
            else:
                place = f"{rng.randint(1, 3000)} {rng.choice(EN_STREETS)}"
                text = rng.choice(sc.en).format(place=place) + " " + rng.choice(EN_EXTRA)
            w.writerow([f"S{i:08d}", f"20{24 + i % 2}-{1 + i % 12:02d}-{1 + i % 28:02d} "
                        f"{i % 24:02d}:{i % 60:02d}:00",
                        f"138{rng.randint(0, 99_999_999):08d}" if i % 3 == 0 else "", place,
                        sc.category, sc.lead or "street_office",
                        "resolved" if i % 4 else "open", text])


def build(store_dir: Path, csv_path: Path) -> dict:
    import fts_baseline

    from models.importing.importer import import_csv
    from models.reference.catalogue import ensure_catalogue
    from models.search import index
    from models.store import open_store

    store = open_store(store_dir)
    with store.writer() as s:
        ensure_catalogue(s)
    t = time.perf_counter()
    report = import_csv(store, csv_path)
    t_import = time.perf_counter() - t
    with store.raw() as conn:
        t = time.perf_counter()
        index.catch_up(conn)  # nothing to do after an import: measured to show it
        t_index = time.perf_counter() - t
        t = time.perf_counter()
        fts_baseline.build(conn)
        t_fts = time.perf_counter() - t
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes = dict(index_mb=index.index_size(conn) / 1e6, fts_mb=fts_baseline.size(conn) / 1e6)
    store.close()
    return dict(rows=report.imported, import_s=t_import, index_s=t_index, fts_s=t_fts,
                db_mb=(store_dir / "hotline.db").stat().st_size / 1e6, **sizes)


def query_phase(store_dir: Path, repeats: int) -> dict:
    """In its own process: the query side's latency and resident memory."""
    import resource

    import fts_baseline

    from models.search import Query, SimilarCaseSearch
    from models.store import connect

    engine = SimilarCaseSearch(store_dir / "hotline.db")
    conn = connect(store_dir / "hotline.db")
    rng = random.Random(3)
    queries = ([("zh", Query(text=q)) for q in QUERIES_ZH]
               + [("zh", Query(text=q, address=f"{rng.choice(ZH_ROADS)}{rng.randint(1, 400)}号"))
                  for q in QUERIES_ZH[:8]]
               + [("en", Query(text=q)) for q in QUERIES_EN]
               + [("en", Query(text=q, address=f"{rng.randint(1, 3000)} {rng.choice(EN_STREETS)}",
                               phone=f"138{rng.randint(0, 99_999_999):08d}"))
                  for q in QUERIES_EN[:8]])
    engine.search(Query(text="预热 warm up"))  # first-use costs (numpy import, tables) not timed
    times: dict[str, list[float]] = {"zh": [], "en": [], "zh_fts": [], "en_fts": []}
    for _ in range(repeats):
        for lang, q in queries:
            t = time.perf_counter()
            engine.search(q, limit=10)
            times[lang].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            fts_baseline.search(conn, q.text, q.address, 10)
            times[lang + "_fts"].append((time.perf_counter() - t) * 1000)
    out = {}
    for key, values in times.items():
        values.sort()
        out[key] = dict(n=len(values), p50=statistics.median(values),
                        p95=values[int(len(values) * 0.95) - 1], max=values[-1])
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the store in DIR and keep it")
    parser.add_argument("--query-phase", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_phase:
        print(json.dumps(query_phase(args.query_phase, args.repeats)))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="hotline-bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    store_dir = work / "store"
    if not (store_dir / "hotline.db").exists():
        csv_path = work / "cases.csv"
        t = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(f"generated {args.rows:,} cases in {time.perf_counter() - t:.0f}s", flush=True)
        b = build(store_dir, csv_path)
        csv_path.unlink()
        print(f"import and index {b['import_s']:.0f}s ({b['rows'] / b['import_s']:,.0f} rows/s); "
              f"search index catch-up after it {b['index_s']:.1f}s; "
              f"FTS5 trigram build {b['fts_s']:.0f}s", flush=True)
        print(f"store {b['db_mb']:.0f} MB; search index {b['index_mb']:.0f} MB; "
              f"FTS5 trigram index {b['fts_mb']:.0f} MB", flush=True)
    out = subprocess.run([sys.executable, __file__, "--query-phase", str(store_dir),
                          "--repeats", str(args.repeats)], capture_output=True, text=True, check=True)
    q = json.loads(out.stdout)
    print(f"{'queries':10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   "
          f"{'FTS5 p50':>9} {'FTS5 p95':>9} {'FTS5 max':>9}")
    for lang in ("zh", "en"):
        a, b = q[lang], q[lang + "_fts"]
        print(f"{lang:10} {a['n']:>5} {a['p50']:>8.1f} {a['p95']:>8.1f} {a['max']:>8.1f}   "
              f"{b['p50']:>9.1f} {b['p95']:>9.1f} {b['max']:>9.1f}")
    print(f"query process peak RSS {q['rss_mb']:.0f} MB")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
