"""The knowledge strip during intake, in the real TUI (headless): from the moment the lookups
start (after the typing pause) to the moment the strip shows the articles, and whether the
article the question is about is offered.

    python benchmarks/bench_kb_intake.py [--cases 400] [--questions 80]

A demo store (N demo cases, the 52 demo articles); the questions of
`benchmarks/kb_eval/questions.txt` whose article is a demo article, each put in the description
as an IME commit would (one paste), then the lookups run. Reported: p50 / p95 / max of the time
to the strip (the worker's search and the message's trip to the UI thread, with the other three
lookups running beside it), and how often the right article is on the strip (first / at all).
The search alone is measured at scale by `benchmarks/bench_kb.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def run(cases: int, limit: int) -> dict:
    from agent_tui.app import HotlineApp
    from agent_tui.screens.intake import IntakeScreen
    from agent_tui.widgets.article_strip import ArticleStrip
    from benchmarks.eval_kb import load_questions
    from models.demo import seed_demo
    from models.kb.demo import DEMO_ARTICLES
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store

    store = open_store(Path(tempfile.mkdtemp()) / "data")
    store.set_meta("terminal_prefix", "B01")
    with store.writer() as s:
        ensure_catalogue(s)
    seed_demo(store, count=cases)
    demo_ids = {p.stem for p in DEMO_ARTICLES.rglob("*.md")}
    questions = [q for q in load_questions() if q["article"] in demo_ids][:limit]
    app = HotlineApp(store, lang="zh", agent="bench")
    times: list[float] = []
    first = shown = 0
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        screen = app.screen
        handled = IntakeScreen.on_articles_found
        state: dict = {}

        def timed(self, found) -> None:  # Textual finds handlers on the class
            handled(self, found)
            if self.lookups.is_current(found):
                state["done"] = time.perf_counter()

        IntakeScreen.on_articles_found = timed
        description = screen.query_one("#description")
        for q in questions:
            description.text = q["question"]
            await pilot.pause()
            state.clear()
            start = time.perf_counter()
            screen.lookups.now()
            while "done" not in state and time.perf_counter() - start < 10:
                await asyncio.sleep(0.001)
            times.append((state["done"] - start) * 1000)
            await app.workers.wait_for_complete()
            ids = [h.id for h in screen.query_one(ArticleStrip).hits]
            group = q["article"].removesuffix("-en")
            ids = [i.removesuffix("-en") for i in ids]  # a translation answers as well
            first += bool(ids) and ids[0] == group
            shown += group in ids
    store.close()
    times.sort()
    n = len(times)
    return {"questions": n, "cases": cases,
            "to_strip_ms": {"p50": round(statistics.median(times), 1),
                            "p95": round(times[min(n - 1, int(0.95 * n))], 1),
                            "max": round(times[-1], 1)},
            "right_article_first": round(first / n, 3), "right_article_on_strip": round(shown / n, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--questions", type=int, default=80)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.cases, args.questions)), ensure_ascii=False))


if __name__ == "__main__":
    main()
