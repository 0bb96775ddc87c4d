"""Big text in the TUI (issue 10): a 100 KB paste into the description box, and opening a pulled
case whose description is 7 MB, headless at 80x24 with the Textual pilot.

    python benchmarks/bench_big_text.py [--runs 5] [--paste-kb 100] [--case-mb 7]

Times are wall-clock from the event (the paste arriving, the case view pushed) to the screen
having processed it and drawn the next frame (`pilot.pause()`); the median and the worst of
`--runs` runs are printed, with what the box holds and the pages the case view made.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _store():
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store

    store = open_store(tempfile.mkdtemp(prefix="bench-big-"))
    store.set_meta("terminal_prefix", "B01")
    with store.writer() as s:
        ensure_catalogue(s)
    return store


async def paste_once(size: int) -> tuple[float, int, int]:
    from textual import events

    from agent_tui.app import HotlineApp

    app = HotlineApp(_store(), lang="en", agent="bench")
    text = ("路灯不亮，晚上很黑 street light out on the corner of 梦都大街 " * (size // 20 + 1))[:size]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        area = app.screen.query_one("#description")
        area.focus()
        await pilot.pause()
        start = time.perf_counter()
        app.post_message(events.Paste(text))
        await pilot.pause()
        took = time.perf_counter() - start
        return took, len(area.text), len(app._notifications)


async def open_once(store, case_id: str) -> tuple[float, int]:
    from agent_tui.app import HotlineApp
    from agent_tui.screens.case_view import CaseViewScreen

    app = HotlineApp(store, lang="en", agent="bench")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        app.push_screen(CaseViewScreen(case_id))
        await pilot.pause()
        took = time.perf_counter() - start
        return took, app.screen.pages.count


def pulled_case(store, megabytes: float) -> str:
    """A case as a pull writes it (sync.client.apply), its description `megabytes` long."""
    import uuid
    from datetime import UTC, datetime

    from sync.client.apply import apply_pull
    from sync.protocol import PullResponse

    line = "第{}行：路灯不亮，晚上很黑。street light out on the corner\n"
    parts, n, size = [], 0, int(megabytes * 1_000_000)
    while sum(map(len, parts[-1:])) * len(parts) < size:
        parts.append(line.format(n))
        n += 1
    description = "".join(parts)[:size]
    now = datetime.now(UTC)
    case_id = str(uuid.uuid4())
    apply_pull(store, PullResponse(cursor=1, server_time=now, cases=[dict(
        id=case_id, case_no="S-BIG-0001", created_at=now, updated_at=now,
        description=description, address="梦都大街1号", category="street_light",
        lead_department="street_light_office", status="dispatched")]))
    return case_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--paste-kb", type=int, default=100)
    parser.add_argument("--case-mb", type=float, default=7.0)
    args = parser.parse_args()

    pastes = [asyncio.run(paste_once(args.paste_kb * 1000)) for _ in range(args.runs)]
    times = [p[0] for p in pastes]
    print(f"paste {args.paste_kb} KB into the description: median {statistics.median(times):.3f} s, "
          f"worst {max(times):.3f} s; the box holds {pastes[0][1]:,} characters, "
          f"{pastes[0][2]} notice")

    store = _store()
    start = time.perf_counter()
    case_id = pulled_case(store, args.case_mb)
    print(f"pull of a {args.case_mb:g} MB case applied (search index included): "
          f"{time.perf_counter() - start:.1f} s")
    opens = [asyncio.run(open_once(store, case_id)) for _ in range(args.runs)]
    times = [o[0] for o in opens]
    print(f"open the {args.case_mb:g} MB case in the case view: median {statistics.median(times):.3f} s, "
          f"worst {max(times):.3f} s; {opens[0][1]:,} pages")


if __name__ == "__main__":
    main()
