"""Our similar-case engine beside Tantivy (the anchor), on the same cases and queries, one run.

    python benchmarks/bench_engines.py [--rows 1000000] [--queries 200] [--keep DIR]

1. Generates N cases (`bench_search.make_csv`: Chinese and English, from the demo's scenarios
   with varied places, callers and details) and imports them with `hotline`'s importer: the
   import builds our index as it goes, so the figure is rows imported *and searchable*; the
   first query is timed right after, in the importing process.
2. Builds a Tantivy index (tantivy-py 0.27) of the same cases in a child process (its peak
   memory is its own): one body field (subject, description, address), Chinese as overlapping
   character pairs and other text as lowercased words, tokenised in Python and indexed with the
   whitespace tokenizer; one writer thread.
3. Times the same queries in a fresh process, warm (every query once untimed first), one
   thread, interleaved query by query:
   - tantivy: an OR of the query's tokens, BM25, top 10 (no hit count, so block-max WAND
     applies: Tantivy at its fastest);
   - ours: `SimilarCaseSearch.search(Query(text=...), limit=10)`, the whole pipeline (both
     stages: ranking, reasons and snippets);
   - hybrid: Tantivy's top 30 as our stage 1 (rowids read from a fast field), then our stage 2
     on them: what "Tantivy for candidate retrieval, our ranking on top" would cost.
Prints mean, p50, p95 and max per engine, build times, sizes and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
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

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")


def tantivy_tokens(text: str) -> list[str]:
    """The anchor's tokens: Chinese as overlapping character pairs (a lone character as
    itself), other text as lowercased words."""
    text = text.lower()
    out: list[str] = []
    for run in _HAN.findall(text):
        out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
    out.extend(_WORD.findall(text))
    return out


def _schema():
    import tantivy

    b = tantivy.SchemaBuilder()
    b.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    b.add_unsigned_field("rowid", stored=False, fast=True, indexed=False)
    return b.build()


def build_tantivy(store_path: Path, index_dir: Path) -> dict:
    """In its own process: peak RSS is the build's."""
    import sqlite3

    import tantivy

    index_dir.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(_schema(), path=str(index_dir))
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    conn = sqlite3.connect(store_path)
    t = time.perf_counter()
    n = 0
    for rowid, title, description, address in conn.execute(
            'SELECT rowid, title, description, address FROM "case" ORDER BY rowid'):
        body = " ".join(tantivy_tokens(f"{title}\n{description}\n{address}"))
        doc = tantivy.Document()
        doc.add_text("body", body)
        doc.add_unsigned("rowid", rowid)
        writer.add_document(doc)
        n += 1
    writer.commit()
    writer.wait_merging_threads()
    dt = time.perf_counter() - t
    size = sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file())
    return dict(docs=n, seconds=dt, mb=size / 1e6,
                rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def make_queries(store_path: Path, n: int, seed: int = 11) -> list[str]:
    """Realistic queries: the bench's own caller phrases (short words and sentences, both
    languages), then what callers say, taken from random stored cases and cut or reworded as a
    caller would (the first clause, the whole text, the text with its place left out)."""
    import sqlite3

    from bench_search import QUERIES_EN, QUERIES_ZH

    rng = random.Random(seed)
    out = [*QUERIES_ZH, *QUERIES_EN]
    conn = sqlite3.connect(store_path)
    top = conn.execute('SELECT max(rowid) FROM "case"').fetchone()[0]
    while len(out) < n:
        row = conn.execute('SELECT description, address FROM "case" WHERE rowid = ?',
                           (rng.randint(1, top),)).fetchone()
        if row is None:
            continue
        text, address = row
        kind = rng.random()
        if kind < 0.35:
            text = re.split(r"[，。,.!！]", text)[0]
        elif kind < 0.7 and address:
            text = text.replace(address, " ")
        out.append(text.strip() or text)
    return out[:n]


def query_phase(store_dir: Path, index_dir: Path, queries: list[str]) -> dict:
    import tantivy

    from models.search import Query, SimilarCaseSearch
    from models.search.engine import _fetch_cases

    engine = SimilarCaseSearch(store_dir / "hotline.db")
    index = tantivy.Index.open(str(index_dir))
    index.reload()
    searcher = index.searcher()
    schema = index.schema

    def tantivy_query(text: str):
        toks = list(dict.fromkeys(tantivy_tokens(text)))
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in toks])

    def run_tantivy(text: str, limit: int = 10):
        return searcher.search(tantivy_query(text), limit, count=False).hits

    def run_ours(text: str):
        return engine.search(Query(text=text), limit=10)

    from collections import Counter

    from models.search.engine import EMPTY, _doc_terms, _Text
    from models.search.index import document_text
    from models.search.normalise import normalise
    from models.search.tokens import place_terms, strip_boilerplate, text_terms

    conn = engine._conn()

    def run_hybrid(text: str):
        hits = run_tantivy(text, 30)
        if not hits:
            return []
        rowids = [int(r) for r in searcher.fast_field_values("rowid", [a for _, a in hits])]
        # Our stage 2 on Tantivy's candidates: Tantivy gives a score, not which query terms a
        # case holds, so each candidate is tokenised to find them (as our engine did before).
        norm = normalise(text)
        prepared = strip_boilerplate(norm)
        qtf = Counter(text_terms(prepared))
        qtf.update(place_terms(prepared))
        idf = dict.fromkeys(qtf, 1.0)
        conn.execute("BEGIN")
        try:
            rows = _fetch_cases(conn, rowids)
            scores = {}
            for (score, _), row in zip(hits, rows, strict=False):
                dset = _doc_terms(document_text(row[4], row[5], row[6]))
                shared = dset & qtf.keys()
                scores[row[0]] = _Text(score, float(len(shared)), len(shared))
            best = max((h[0] for h in hits), default=1.0) or 1.0
            return engine._rank(conn, rows, scores, best, Query(text=text), norm, prepared, qtf,
                                idf, 1.0, "", EMPTY, 10)
        finally:
            conn.execute("COMMIT")

    engines = {"tantivy": run_tantivy, "ours": run_ours, "hybrid": run_hybrid}
    for q in queries:  # warm: every query once, untimed
        for run in engines.values():
            run(q)
    times: dict[str, list[float]] = {k: [] for k in engines}
    for q in queries:
        for name, run in engines.items():
            # The hybrid's candidates tokenised afresh: no help from the warm-up (ours tokenises
            # its candidates' subjects in every search; its postings cache stays warm).
            _doc_terms.cache_clear()
            t = time.perf_counter()
            run(q)
            times[name].append((time.perf_counter() - t) * 1000)
    out: dict = {}
    for name, values in times.items():
        s = sorted(values)
        out[name] = dict(n=len(s), mean=statistics.fmean(s), p50=statistics.median(s),
                         p95=s[max(int(len(s) * 0.95) - 1, 0)], max=s[-1])
    short = [i for i, q in enumerate(queries) if len(tantivy_tokens(q)) <= 2]
    out["short"] = {name: statistics.fmean(times[name][i] for i in short) if short else 0.0
                    for name in engines}
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def import_phase(store_dir: Path, csv_path: Path) -> dict:
    """In its own process: the import, then the first query, as a user meets them."""
    from models.importing.importer import import_csv
    from models.reference.catalogue import ensure_catalogue
    from models.search import Query, SimilarCaseSearch
    from models.search import index as search_index
    from models.store import open_store

    store = open_store(store_dir)
    with store.writer() as s:
        ensure_catalogue(s)
    t = time.perf_counter()
    report = import_csv(store, csv_path)
    t_import = time.perf_counter() - t
    with store.raw() as conn:
        current = search_index.is_current(conn)
    t = time.perf_counter()
    hits = SimilarCaseSearch(store).search(Query(text="路灯不亮"), limit=10)
    t_first = time.perf_counter() - t
    with store.raw() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        index_mb = search_index.index_size(conn) / 1e6
    store.close()
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return dict(rows=report.imported, import_s=t_import, first_query_ms=t_first * 1000,
                hits=len(hits), current_before_query=current, index_mb=index_mb,
                db_mb=(store_dir / "hotline.db").stat().st_size / 1e6,
                rss_mb=self_rss, reader_rss_mb=child_rss)


def _child(phase: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, *args],
                         capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{phase} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the store and index in DIR")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "import":
        print(json.dumps(import_phase(Path(args.args[0]), Path(args.args[1]))))
        return
    if args.phase == "tantivy":
        print(json.dumps(build_tantivy(Path(args.args[0]), Path(args.args[1]))))
        return
    if args.phase == "query":
        queries = json.loads(Path(args.args[2]).read_text(encoding="utf-8"))
        print(json.dumps(query_phase(Path(args.args[0]), Path(args.args[1]), queries)))
        return
    from bench_search import make_csv

    work = args.keep or Path(tempfile.mkdtemp(prefix="hotline-bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    store_dir, index_dir = work / "store", work / "tantivy"
    if not (store_dir / "hotline.db").exists():
        csv_path = work / "cases.csv"
        t = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(f"generated {args.rows:,} cases in {time.perf_counter() - t:.0f}s", flush=True)
        r = _child("import", str(store_dir), str(csv_path))
        csv_path.unlink()
        print(f"ours: imported and indexed {r['rows']:,} rows in {r['import_s']:.1f}s "
              f"({r['rows'] / r['import_s']:,.0f} rows/s); index current before the first "
              f"query: {r['current_before_query']}; first query {r['first_query_ms']:.0f} ms "
              f"({r['hits']} hits); end to end {r['rows'] / (r['import_s'] + r['first_query_ms'] / 1000):,.0f} "
              f"rows/s", flush=True)
        print(f"ours: peak RSS {r['rss_mb']:.0f} MB (importer) + {r['reader_rss_mb']:.0f} MB "
              f"(reader process); search index {r['index_mb']:.0f} MB; store {r['db_mb']:.0f} MB",
              flush=True)
    if not (index_dir / "meta.json").exists():
        tv = _child("tantivy", str(store_dir / "hotline.db"), str(index_dir))
        print(f"tantivy: indexed {tv['docs']:,} cases in {tv['seconds']:.1f}s (Python tokenising "
              f"included) into {tv['mb']:.0f} MB; peak RSS {tv['rss_mb']:.0f} MB", flush=True)
    qpath = work / "queries.json"
    qpath.write_text(json.dumps(make_queries(store_dir / "hotline.db", args.queries),
                                ensure_ascii=False), encoding="utf-8")
    q = _child("query", str(store_dir), str(index_dir), str(qpath))
    print(f"{'engine':8} {'queries':>7} {'mean ms':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
          f"{'1-2 token mean':>15}")
    for name in ("tantivy", "ours", "hybrid"):
        a = q[name]
        print(f"{name:8} {a['n']:>7} {a['mean']:>8.2f} {a['p50']:>7.2f} {a['p95']:>7.2f} "
              f"{a['max']:>7.1f} {q['short'][name]:>15.2f}")
    print(f"query process peak RSS {q['rss_mb']:.0f} MB")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
