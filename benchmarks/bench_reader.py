"""The import's reading process alone: CPU per row, and the same output as another checkout.

    python benchmarks/bench_reader.py [--rows 200000] [--baseline /work/main] [--runs 3]
    python benchmarks/bench_reader.py --csv FILE [--map nyc311] [--repeat 5] [--baseline DIR]

Runs `parse._parse` (rows checked, then tokenised into search postings: what
`models.importing.reader`'s processes do, the reading one and, where the code has it, the
tokenising one; after their set-up, `reader.quiet_gc`, where the code has one) over one CSV in
child processes, alternating this checkout's
code with the baseline's (`--baseline DIR`), and prints each run's CPU seconds and µs per row
(the load average beside them: the machine is shared). Every run also hashes all it yields
(the rows, every value; the rejected lines and reasons; the postings' arrays, term lists,
lengths and distinct counts) outside the timed part: the digests of both codes must match.

The CSV is `bench_search.make_csv`'s (not counted), or `--csv FILE` with `--map NAME` (a real
file; `--repeat N` writes its data rows N times over to a temporary file, for a longer run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CHILD = """
import hashlib, json, sys, time
import models
from models.importing import reader
from models.importing.parse import _parse, _Plan
getattr(reader, "quiet_gc", lambda: None)()  # what the reading process does first, if anything
plan = _Plan({csv!r}, {encoding!r}, {mapping!r}, None, {{}})
h, rows, cpu = hashlib.sha256(), 0, 0.0
items = _parse(plan)
while True:
    t = time.process_time()
    b = next(items, None)
    cpu += time.process_time() - t
    if b is None:
        break
    if isinstance(b, str):
        h.update(b.encode())
        continue
    rows += len(b.rows)
    h.update(repr((b.rows, [(r.line, r.reason) for r in b.rejected], b.rows_read, b.pos)).encode())
    p = b.postings
    if p is not None:
        for a in (p.doc, p.term, p.weight, p.lengths, p.distinct):
            h.update(f"{{a.dtype}}{{a.shape}}".encode())
            h.update(a.tobytes())
        h.update("\\x1f".join(p.terms).encode())
print(json.dumps(dict(rows=rows, cpu=cpu, digest=h.hexdigest(), code=models.__file__)))
"""


def run_one(code_dir: Path, csv_path: Path, mapping: str | None, encoding: str) -> dict:
    src = CHILD.format(csv=str(csv_path), encoding=encoding, mapping=mapping)
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    out = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True,
                         cwd=code_dir, env=env)
    if out.returncode:
        raise SystemExit(f"child failed ({code_dir}):\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load"] = Path("/proc/loadavg").read_text().split()[0]
    return result


def repeated(src: Path, times: int, dest: Path, encoding: str) -> Path:
    """The file's data rows written `times` over (the header once)."""
    import csv

    with open(src, encoding=encoding, newline="") as f:
        records = list(csv.reader(f))
    with open(dest, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(records[0])
        for _ in range(times):
            w.writerows(records[1:])
    return dest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--csv", type=Path, help="a CSV to read instead of a generated one")
    ap.add_argument("--map", default=None, help="the mapping's name (default: detected)")
    ap.add_argument("--encoding", default="utf-8-sig")
    ap.add_argument("--repeat", type=int, default=1, help="--csv's data rows this many times")
    ap.add_argument("--baseline", type=Path, help="another checkout to compare with")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.csv is None:
            from bench_search import make_csv

            csv_path = Path(tmp) / "cases.csv"
            make_csv(csv_path, args.rows)
        elif args.repeat > 1:
            csv_path = repeated(args.csv, args.repeat, Path(tmp) / "cases.csv", args.encoding)
        else:
            csv_path = args.csv
        codes = [("this", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
        results: dict[str, list[dict]] = {name: [] for name, _ in codes}
        for i in range(args.runs):
            for name, code_dir in codes if i % 2 == 0 else codes[::-1]:
                r = run_one(code_dir, csv_path, args.map, args.encoding)
                results[name].append(r)
                print(f"{name:8} run {i + 1}: {r['rows']} rows, {r['cpu']:.2f} s CPU, "
                      f"{1e6 * r['cpu'] / max(r['rows'], 1):.1f} µs/row, load {r['load']}, "
                      f"digest {r['digest'][:16]}", flush=True)
        for name, rs in results.items():
            best = min(r["cpu"] for r in rs) / max(rs[0]["rows"], 1)
            print(f"{name:8} best {1e6 * best:.1f} µs/row ({rs[0]['code']})")
        digests = {r["digest"] for rs in results.values() for r in rs}
        print("output: IDENTICAL" if len(digests) == 1 else f"output: DIFFERENT {digests}")
        if len(digests) != 1:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
