"""TUI tests: waiting for a condition (`wait_for`), and snapshots with the screen as text when one
does not match (CI keeps no HTML report, and its log is what a reader of a failure has)."""

from __future__ import annotations

import asyncio
import html
import inspect
import re
import time

import pytest

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')


async def wait_for(pilot, condition, seconds: float = 5.0) -> None:
    """Until `condition()` holds (a worker's result, a poll on a thread), at most `seconds`:
    a loaded machine may take longer than any fixed pause."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        await pilot.pause(0.05)


async def workers_done(app) -> None:
    """Until none of the app's workers runs. Like `app.workers.wait_for_complete()`, a failed
    worker raises `WorkerFailed`; unlike it, a worker cancelled meanwhile (a lookup a newer one of
    its exclusive group replaced) is simply done: `wait_for_complete` raised `WorkerCancelled`
    for it, and failed a test on a keystroke's timing. Workers that finishing ones start are
    waited for too."""
    from textual.worker import WorkerCancelled, WorkerState

    while running := [w for w in app.workers if w.state == WorkerState.RUNNING]:
        for outcome in await asyncio.gather(*(w.wait() for w in running),
                                            return_exceptions=True):
            if isinstance(outcome, BaseException) and not isinstance(outcome, WorkerCancelled):
                raise outcome


def screen_text(svg: str) -> str:
    """The characters of a Textual SVG screenshot, row by row."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, chars in _TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(chars)))
    return "\n".join("".join(c for _, c in sorted(r)).replace("\xa0", " ").rstrip()
                     for _, r in sorted(rows.items()))


@pytest.fixture
def snap_compare(snap_compare):
    def compare(app, *args, run_before=None, **kwargs):
        seen: list[str] = []

        async def run(pilot):
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            # A focused field's cursor blinks every half second: a screenshot showed it or not
            # by the machine's speed (a loaded CI run took one where a field mounted after the
            # test's own settle had stopped the blink). Steady, it shows, as in the snapshots.
            for field in pilot.app.screen.query("Input, TextArea"):
                field.cursor_blink = False
            await pilot.pause()
            focused = pilot.app.focused
            seen.append(f"focus: {getattr(focused, 'id', None) or type(focused).__name__}, "
                        f"workers: {[w.name for w in pilot.app.workers]}\n"
                        + screen_text(pilot.app.export_screenshot()))

        matched = snap_compare(app, *args, run_before=run, **kwargs)
        if not matched and seen:
            print("the screen that did not match, a moment before its screenshot:\n" + seen[0])
        return matched

    return compare
