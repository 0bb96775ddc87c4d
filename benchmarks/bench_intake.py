"""Intake speed: cold start to a ready form, side by side with a bare Textual app; typing with a
store of N cases (per-key latency and resident memory).

    python benchmarks/bench_intake.py [--runs 10] [--cases 1000000] [--baseline OTHER_TREE]

Cold start is the wall time of a whole process (interpreter, imports, store open, first frame),
headless, alternating the two apps so that both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Each child prints the wall-clock moment its first frame is up, then leaves at once: work the
# app goes on doing in the background (loading the catalogue) is not part of "ready".
BARE = """
import os, time
from textual.app import App
from textual.widgets import Footer, Header, Input
class Bare(App):
    def compose(self):
        yield Header(); yield Input(); yield Footer()
    def on_ready(self):
        self.call_after_refresh(lambda: (print(time.time(), flush=True), os._exit(0)))
Bare().run(headless=True, size=(80, 24))
"""

HOTLINE = """
import os, sys, time
sys.path.insert(0, {root!r})
if os.path.exists(os.path.join({root!r}, "agent_tui", "launch.py")):  # older trees have none
    import agent_tui.launch  # what the `hotline` script imports first
import agent_tui.cli, agent_tui.commands.tui  # the real start path: hotline -> tui
from agent_tui.app import HotlineApp
from models.store import open_store
class Timed(HotlineApp):
    def on_ready(self):
        self.call_after_refresh(lambda: (print(time.time(), flush=True), os._exit(0)))
Timed(open_store({data!r}), lang="zh", agent="bench").run(headless=True, size=(80, 24))
"""

# The whole `hotline tui --data-dir D --lang zh` path: click, the settings (file, environment,
# flags), the store, the first frame. Only the terminal check and the screen are stubbed.
HOTLINE_CLI = """
import os, sys, time
sys.path.insert(0, {root!r})
sys.stdout.isatty = lambda: True
if os.path.exists(os.path.join({root!r}, "agent_tui", "launch.py")):
    from agent_tui import launch as cli  # the `hotline` script's entry point
else:
    from agent_tui import cli  # older trees: the command line was the entry point
import agent_tui.app as appmod
def ready(self):
    self.call_after_refresh(lambda: (print(time.time(), flush=True), os._exit(0)))
appmod.HotlineApp.on_ready = ready
run = appmod.HotlineApp.run
appmod.HotlineApp.run = lambda self, *a, **k: run(self, headless=True, size=(80, 24))
sys.argv = ["hotline", "tui", "--data-dir", {data!r}, "--lang", "zh", "--agent", "bench"]
cli.main()
"""

TYPING = """
import asyncio, json, resource, sys, time
sys.path.insert(0, {root!r})
from agent_tui.app import HotlineApp
from models.store import open_store
from models.cases import count_cases

async def main():
    store = open_store({data!r})
    app = HotlineApp(store, lang="zh", agent="bench")
    lat = []
    async with app.run_test(size=(80, 24)) as pilot:
        keys = [*{phone!r}, "tab", "tab", *"梦都大街的路灯不亮已经一个星期了晚上很黑", "tab", *"梦都大街18号"]
        await pilot.pause(2.0)  # the catalogue and engines have loaded, as before a real call
        for i, key in enumerate(keys):
            if i % 6 == 5:
                await pilot.pause(0.4)  # a pause in speech: the search and suggestions run now
            t = time.perf_counter()
            await pilot.press(key)
            lat.append((time.perf_counter() - t) * 1000)
        await app.workers.wait_for_complete()
    lat.sort()
    print(json.dumps(dict(cases=count_cases(store), keys=len(lat), p50=lat[len(lat) // 2],
                          p95=lat[int(len(lat) * 0.95)], max=lat[-1],
                          rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
asyncio.run(main())
"""


# The same keys into a bare Textual Input, pressed the same way: the floor of the measuring
# method itself (Pilot waits for the screen to settle after every key).
TYPING_BARE = """
import asyncio, json, time
from textual.app import App
from textual.widgets import Footer, Header, Input

class Bare(App):
    def compose(self):
        yield Header(); yield Input(); yield Footer()

async def main():
    app = Bare()
    lat = []
    async with app.run_test(size=(80, 24)) as pilot:
        keys = [*"13800001234", *"梦都大街的路灯不亮已经一个星期了晚上很黑", *"梦都大街18号"]
        for key in keys:
            t = time.perf_counter()
            await pilot.press(key)
            lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    print(json.dumps(dict(p50=lat[len(lat) // 2], p95=lat[int(len(lat) * 0.95)])))
asyncio.run(main())
"""


# Children may cache bytecode even where the shell says not to (PYTHONDONTWRITEBYTECODE): an
# installed hotline has its .pyc files as Textual has its own, and compiling hotline's modules on
# every start would be measured against a bare app that compiles nothing.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(code: str) -> float:
    """Seconds from launching the process to its first frame."""
    t = time.time()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env=CHILD_ENV)
    return float(out.stdout.strip().splitlines()[-1]) - t


def build_store(cases: int) -> Path:
    """A data dir with `cases` imported cases (kept between runs in the temp dir)."""
    data = Path(tempfile.gettempdir()) / f"hotline-bench-store-{cases}"
    if (data / "hotline.db").exists():
        _catch_up(data)  # an engine whose format changed since rebuilds here, not while typing
        return data
    from benchmarks.bench_search import make_csv
    from models.importing.importer import import_csv
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store

    csv_path = Path(tempfile.mkdtemp()) / "cases.csv"
    make_csv(csv_path, cases)
    store = open_store(data)
    with store.writer() as s:
        ensure_catalogue(s)
    t = time.perf_counter()
    import_csv(store, csv_path)
    print(f"built a store of {cases:,} cases in {time.perf_counter() - t:.0f}s", flush=True)
    csv_path.unlink()
    _catch_up(data)
    return data


def _catch_up(data: Path) -> None:
    """What a terminal has done before a call: the search index and the routing statistics
    caught up with the store (each has its own benchmark)."""
    from models.routing import Router
    from models.search.engine import SimilarCaseSearch
    from models.store import open_store

    store = open_store(data)
    t = time.perf_counter()
    SimilarCaseSearch(store).catch_up()
    Router.for_store(store).refresh()
    print(f"index and routing statistics caught up in {time.perf_counter() - t:.0f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--skip-cold-start", action="store_true")
    parser.add_argument("--skip-typing", action="store_true")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout (e.g. main's tree) whose cold start is measured "
                             "in the same alternating run, against the same bare app")
    args = parser.parse_args()
    if not args.skip_cold_start:
        cold_start(args.runs, args.baseline)
    if not args.skip_typing:
        typing(args.cases)


def cold_start(runs: int, baseline: Path | None = None) -> None:
    demo = Path(tempfile.mkdtemp())
    from models.demo import seed_demo
    from models.store import open_store

    seed_demo(open_store(demo), 400)
    roots = {"": ROOT, **({"baseline ": baseline.resolve()} if baseline else {})}
    codes = {"bare": BARE}
    for label, root in roots.items():
        codes[f"{label}hotline"] = HOTLINE.format(root=str(root), data=str(demo))
        codes[f"{label}cli"] = HOTLINE_CLI.format(root=str(root), data=str(demo))
    times: dict[str, list[float]] = {name: [] for name in codes}
    for code in codes.values():
        timed(code)  # warm the file cache
    for _ in range(runs):
        for name, code in codes.items():
            times[name].append(timed(code))
    med = {name: statistics.median(x) for name, x in times.items()}
    b = med["bare"]
    for label in roots:
        h, c = med[f"{label}hotline"], med[f"{label}cli"]
        print(f"{label}cold start, median of {runs}: bare Textual app {b * 1000:.0f} ms, "
              f"hotline intake {h * 1000:.0f} ms, ratio {h / b:.2f} (target <= 1.2); "
              f"through the command line (settings included) {c * 1000:.0f} ms, ratio {c / b:.2f}")


def typing(cases: int) -> None:
    data = build_store(cases)
    phone = "13800001234"
    out = subprocess.run([sys.executable, "-c", TYPING.format(root=str(ROOT), data=str(data), phone=phone)],
                         check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    bare_out = subprocess.run([sys.executable, "-c", TYPING_BARE], check=True, capture_output=True,
                              text=True)
    floor = json.loads(bare_out.stdout.strip().splitlines()[-1])
    print(f"typing a call with {r['cases']:,} cases in the store (searches and suggestions running "
          f"in the pauses): {r['keys']} keys, per-key p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
          f"max {r['max']:.1f} ms; the same keys into a bare Input: p50 {floor['p50']:.1f} ms, "
          f"p95 {floor['p95']:.1f} ms; peak RSS {r['rss_mb']:.0f} MB (target < 150)")


if __name__ == "__main__":
    main()
