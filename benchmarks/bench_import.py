"""Import speed and memory: generate a case CSV of N rows, import it into a fresh store, print figures.

    python benchmarks/bench_import.py [--rows 1000000]

Prints rows/s for the import alone (CSV generation not counted) and the peak resident memory at
two file sizes, to show it stays flat as the file grows.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STREETS = ["龙蟠中路", "中山东路", "汉中门大街", "Main Street", "Broadway", "集庆门大街", "湖南路"]
TEXTS = ["路灯不亮已经一个多星期了，晚上走路看不见", "楼下饭店油烟直排，窗户都不敢开",
         "Pothole on the street, scooters keep falling", "路边梧桐树上有一个马蜂窝",
         "Loud music from the apartment upstairs every night", "健身房关门跑路，预付卡退不了"]
CATEGORIES = ["路灯", "餐饮油烟", "Street Condition", "马蜂窝", "Noise - Residential", "预付卡"]
DEPTS = ["路灯管理处", "生态环境局", "DOT", "街道办事处", "NYPD", "市场监管局"]


def make_csv(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "created_at", "caller_phone", "caller_name", "address", "category",
                    "department", "status", "description"])
        for i in range(rows):
            k = i % 6
            w.writerow([f"B{i:08d}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00",
                        f"1380000{i % 10000:04d}" if i % 3 == 0 else "", "王女士" if k % 2 else "",
                        f"{STREETS[i % 7]}{i % 500}号", CATEGORIES[k], DEPTS[k],
                        "resolved" if i % 4 else "open", f"{TEXTS[k]}（第{i}件）"])


def run_one(rows: int) -> dict:
    """One import in a child process so that its peak RSS is its own."""
    code = f"""
import json, resource, sys, time, tempfile
sys.path.insert(0, {str(ROOT)!r})
from models.store import open_store
from models.reference.catalogue import ensure_catalogue
from models.importing.importer import import_csv
store = open_store(tempfile.mkdtemp())
with store.writer() as s:
    ensure_catalogue(s)
t = time.perf_counter()
r = import_csv(store, {str(CSV_DIR / f"bench_{rows}.csv")!r})
dt = time.perf_counter() - t
print(json.dumps(dict(rows={rows}, imported=r.imported, seconds=dt,
      rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""
    import json

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


CSV_DIR = Path(tempfile.mkdtemp(prefix="hotline-bench-"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    sizes = sorted({max(args.rows // 10, 1000), args.rows})
    for rows in sizes:
        path = CSV_DIR / f"bench_{rows}.csv"
        t = time.perf_counter()
        make_csv(path, rows)
        print(f"generated {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t:.1f}s", flush=True)
    print(f"{'rows':>10} {'seconds':>8} {'rows/s':>10} {'peak RSS MB':>12}")
    for rows in sizes:
        r = run_one(rows)
        assert r["imported"] == rows, r
        print(f"{rows:>10,} {r['seconds']:>8.1f} {rows / r['seconds']:>10,.0f} {r['rss_mb']:>12.0f}",
              flush=True)
    for f in CSV_DIR.iterdir():
        f.unlink()
    CSV_DIR.rmdir()


if __name__ == "__main__":
    main()
