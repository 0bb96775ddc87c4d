"""Import to searchable: N generated cases imported, then the first search, as a user meets them.

    python benchmarks/bench_import.py [--rows 1000000] [--into N] [--baseline DIR]
        [--baseline-rows 100000]

The CSV is `bench_search.make_csv`'s (Chinese and English cases with places, callers and
details; not counted). Each import runs in a fresh process on a fresh store; the figure is
end to end: `import_csv` (rows written and indexed) plus the first `SimilarCaseSearch.search`
(which would catch the index up first if anything were missing); then "learn s", the wait for
the routing model's learning of the imported history after that, which `hotline import` does in
its run (where the code has `models.routing.apart`, started in a process of its own once the rows
are in, as `hotline import` does; older code: learned after the import), and "import+learn s",
the two waits together, as `hotline import` keeps its user. Peak RSS is the importing process's
and its helper processes' (the CSV reading process, and the tokenising one where the code has
it: each one's peak sampled every 20 ms, summed; reported apart and as a sum, the conservative
total); the learning process's peak; and "at once", the most the importing process and all its
children held at the same moment (the same samples).

`--into N` first imports N other generated cases (other ids, the same kind of text) into each
store, and lets routing learn them, untimed: the figures are then those of importing into a
store that already holds cases (its index segments joined with the store's, its case indexes
built again over both).

`--baseline DIR` runs the same steps with the code of another checkout (DIR, e.g. the main
branch: its `import_csv`, then its index catch-up, then its first search) on the same file in
the same run, at `--baseline-rows` only (the old catch-up takes minutes per 100,000 rows).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CODE = """
import json, os, resource, sys, tempfile, threading, time
from models.store import open_store
from models.reference.catalogue import ensure_catalogue
from models.importing.importer import import_csv
from models.search import Query, SimilarCaseSearch
peaks, kinds, at_once = {{}}, {{}}, [0]  # each child's peak RSS (VmHWM) and kind; all at once
def kb(status, key):
    return int(status.split(key)[1].split()[0])
def sample():
    me = os.getpid()
    while True:
        total = kb(open(f"/proc/{{me}}/status").read(), "VmRSS:")
        for task in os.listdir(f"/proc/{{me}}/task"):
            try:
                kids = open(f"/proc/{{me}}/task/{{task}}/children").read().split()
            except OSError:
                continue
            for kid in kids:
                try:
                    status = open(f"/proc/{{kid}}/status").read()
                    command = open(f"/proc/{{kid}}/cmdline").read()
                except OSError:
                    continue
                if "VmHWM:" in status:
                    peaks[kid] = max(peaks.get(kid, 0), kb(status, "VmHWM:"))
                    total += kb(status, "VmRSS:")
                    if "models." in command:
                        kinds[kid] = "learner" if "routing" in command else "helper"
        at_once[0] = max(at_once[0], total)
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
store = open_store(tempfile.mkdtemp(dir={tmp!r}))
with store.writer() as s:
    ensure_catalogue(s)
def learner():
    try:  # `hotline import` learns the history for routing beside the import's last steps
        from models.routing.apart import Learning
        learning = Learning(store)
        return learning, dict(rows_written=learning.start)
    except ImportError:  # older code: after the import (or not in its run at all)
        return None, {{}}
if {prior!r}:  # a store that already holds cases (untimed), their routing learned
    learning, extra = learner()
    assert import_csv(store, {prior!r}, **extra).imported > 0
    if learning is not None:
        learning.finish()
learning, extra = learner()
t = time.perf_counter()
r = import_csv(store, {csv!r}, **extra)
t_import = time.perf_counter() - t
t = time.perf_counter()
engine = SimilarCaseSearch(store)
hits = engine.search(Query(text="路灯不亮"), limit=10)
t_first = time.perf_counter() - t
t = time.perf_counter()
engine.search(Query(text="hornet nest in the street tree"), limit=10)
t_second = time.perf_counter() - t
import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
if learning is not None:
    learning.finish()
else:
    try:
        from models.routing import Router
        router = Router.for_store(store)
        router.refresh()
        router.close()
    except ImportError:
        pass
t_learn = time.perf_counter() - t
time.sleep(0.05)  # (a last sample)
ru = resource.getrusage
helpers = [v for k, v in peaks.items() if kinds.get(k) != "learner"]
print(json.dumps(dict(imported=r.imported, import_s=t_import, first_s=t_first, learn_s=t_learn,
      second_ms=t_second * 1000, hits=len(hits),
      rss_mb=import_rss, learn_rss_mb=ru(resource.RUSAGE_SELF).ru_maxrss / 1024,
      helpers=len(helpers), reader_rss_mb=sum(helpers) / 1024,
      learner_rss_mb=sum(v for k, v in peaks.items() if kinds.get(k) == "learner") / 1024,
      at_once_mb=at_once[0] / 1024)))
"""


def run_one(csv_path: Path, python: str, cwd: Path, tmp: Path, prior: Path | None = None) -> dict:
    code = CODE.format(tmp=str(tmp), csv=str(csv_path), prior=str(prior) if prior else "")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=cwd,
                         env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit("import failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_other_csv(path: Path, rows: int) -> None:
    """`make_csv`'s cases under other ids (P... for S...) and another seed: a store's own
    history, which the imported file does not repeat."""
    import csv

    from bench_search import make_csv

    raw = path.with_suffix(".raw")
    make_csv(raw, rows, seed=11)
    with raw.open(encoding="utf-8", newline="") as src, \
            path.open("w", encoding="utf-8", newline="") as out:
        reader, writer = csv.reader(src), csv.writer(out)
        writer.writerow(next(reader))
        writer.writerows(["P" + row[0][1:], *row[1:]] for row in reader)
    raw.unlink()


def main() -> None:
    from bench_search import make_csv

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=Path, help="another checkout to run beside")
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--into", type=int, default=0, metavar="N",
                        help="import into a store already holding N other cases")
    args = parser.parse_args()
    sizes = sorted({max(args.rows // 10, 1000), args.rows})
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-import-"))
    prior = None
    if args.into:
        prior = tmp / f"prior_{args.into}.csv"
        make_other_csv(prior, args.into)
        print(f"(each store first holds {args.into:,} other cases)")
    print(f"{'code':9} {'rows':>10} {'import s':>9} {'first query':>12} {'end to end':>11} "
          f"{'rows/s':>8} {'RSS MB':>7} {'helpers MB':>10} {'sum MB':>7} {'learn s':>8} "
          f"{'import+learn s':>15} {'learner MB':>11} {'at once MB':>11}")
    for rows in sizes:
        path = tmp / f"cases_{rows}.csv"
        make_csv(path, rows)
        runs = [("this", sys.executable, ROOT)]
        if args.baseline and rows <= args.baseline_rows:
            python = args.baseline / ".venv" / "bin" / "python"
            runs.append(("baseline", str(python if python.exists() else sys.executable),
                         args.baseline))
        for label, python, cwd in runs:
            r = run_one(path, python, cwd, tmp, prior)
            assert r["imported"] == rows, r
            total = r["import_s"] + r["first_s"]
            print(f"{label:9} {rows:>10,} {r['import_s']:>9.1f} {r['first_s'] * 1000:>10.0f}ms "
                  f"{total:>10.1f}s {rows / total:>8,.0f} {r['rss_mb']:>7.0f} "
                  f"{r['reader_rss_mb']:>10.0f} {r['rss_mb'] + r['reader_rss_mb']:>7.0f} "
                  f"{r['learn_s']:>8.1f} {r['import_s'] + r['learn_s']:>15.1f} "
                  f"{r.get('learner_rss_mb', 0):>11.0f} {r.get('at_once_mb', 0):>11.0f}",
                  flush=True)
        path.unlink()
    shutil.rmtree(tmp)
    print(f"(machine load average at the end: {Path('/proc/loadavg').read_text().split()[0]})")


if __name__ == "__main__":
    main()
