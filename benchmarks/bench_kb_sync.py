"""The knowledge base through sync: a lead publishes N articles on the central server, a fresh
terminal pulls them all and can search them.

Starts `python -m sync.server` on a fresh PostgreSQL database (dropped afterwards; or `--db URL`,
e.g. a SQLite file) on a free localhost port. Then:

1. push: N generated articles (benchmarks/bench_kb.py's generator, Chinese and English),
   written as Markdown files and sent as `hotline kb push DIR` sends them
   (`sync.client.kb.push_articles`: parsed here, batches of 500, saved and published);
2. pull: a fresh terminal store's first sync (`SyncEngine.pull_all`): every page applied in
   one local transaction with the articles' index entries; wall time, articles/s, pages;
3. one search on the terminal afterwards (the index is current: no catch-up).

    .venv/bin/python benchmarks/bench_kb_sync.py [--articles 10000] [--db URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_kb import write_markdown  # noqa: E402

from sync.client.engine import SyncEngine  # noqa: E402
from sync.client.http import ServerApi  # noqa: E402
from sync.client.kb import push_articles  # noqa: E402
from sync.server.auth import add_user  # noqa: E402
from sync.server.migrate import upgrade  # noqa: E402
from tests.sync.sync_support import (  # noqa: E402
    PgDatabases,
    ServerProcess,
    new_store,
    pg_reachable,
    server_db,
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=10_000)
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
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-kb-sync-"))
    try:
        db = server_db(url)
        upgrade(db)
        lead, agent = add_user(db, "lead", "lead"), add_user(db, "agent", "agent")
        db.dispose()
        srv = ServerProcess(url).start()
        folder = tmp / "articles"
        write_markdown(folder, args.articles)
        api = ServerApi(srv.url, lambda: lead, timeout=120)
        t0 = time.perf_counter()
        report = push_articles(api, folder)
        push = time.perf_counter() - t0
        api.close()
        store = new_store(tmp / "terminal", "BENCH")
        engine = SyncEngine(store, srv.url, agent, timeout=120)
        fetch = [0.0]
        server_pull = engine.api.pull

        def timed_pull(request):  # the request, the server's work and the parsed answer
            t = time.perf_counter()
            try:
                return server_pull(request)
            finally:
                fetch[0] += time.perf_counter() - t

        engine.api.pull = timed_pull
        pages = []
        t0 = time.perf_counter()
        engine.pull_all(progress=lambda done, total: pages.append((done, total)))
        pull = time.perf_counter() - t0
        engine.close()
        srv.stop()
        from models.kb import KnowledgeSearch
        from models.kb.index import is_current

        with store.raw() as conn:
            on_terminal = conn.execute("SELECT count(*) FROM kb_article WHERE NOT withdrawn"
                                       ).fetchone()[0]
            indexed = conn.execute("SELECT count(*) FROM kb_index_doc").fetchone()[0]
            current = is_current(conn)
        search = KnowledgeSearch(store)
        t0 = time.perf_counter()
        hits = search.search("居住证怎么办理", limit=5)
        first_search = time.perf_counter() - t0
        search.close()
        n = engine.report.pulled_articles
        print(f"server: {'PostgreSQL' if url.startswith('postgres') else url}")
        print(f"push: {report.added:,} articles added and published in {push:.2f} s = "
              f"{report.added / push:,.0f} articles/s (parse, 500 per request, server checks)")
        print(f"pull to a fresh terminal: {n:,} articles (+{engine.report.pulled_phrases} "
              f"phrases) in {pull:.2f} s = {n / pull:,.0f} articles/s, "
              f"{engine.report.requests} pages; progress reported {len(pages)} times, last "
              f"{pages[-1] if pages else None}")
        print(f"  of which fetching pages (server, network, parsing) {fetch[0]:.2f} s, applying "
              f"them (store and knowledge index, one transaction a page) {pull - fetch[0]:.2f} s")
        print(f"terminal: {on_terminal:,} articles, {indexed:,} indexed, index current: {current}; "
              f"first search {first_search * 1000:.0f} ms, top hit {hits[0].id if hits else None}")
        ok = on_terminal == indexed == args.articles and current and bool(hits)
        print("all articles pulled and searchable:", "yes" if ok else "NO")
        return 0 if ok else 1
    finally:
        if dbs:
            dbs.drop_all()


if __name__ == "__main__":
    raise SystemExit(main())
