"""The TUI tests' wait for workers (`conftest.workers_done`): a lookup cancelled by a newer one
of its exclusive group is done, not an error (Textual's `wait_for_complete` raises for it, and a
test then failed on a keystroke's timing); a failed worker still fails the wait."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App
from textual.worker import WorkerCancelled, WorkerFailed

from .conftest import workers_done


class Lookups(App[None]):
    async def lookup(self, seconds: float, fail: bool = False) -> str:
        await asyncio.sleep(seconds)
        if fail:
            raise ValueError("the store went away")
        return "found"


async def test_a_replaced_lookup_is_done_and_the_newer_one_is_waited_for():
    app = Lookups()
    async with app.run_test() as pilot:
        first = app.run_worker(app.lookup(5), group="lookup", exclusive=True)
        await pilot.pause()
        newer = app.run_worker(app.lookup(0.2), group="lookup", exclusive=True)
        with pytest.raises(WorkerCancelled):  # what the tests used to wait with
            await app.workers.wait_for_complete([first, newer])
        await workers_done(app)
        assert first.is_cancelled and newer.is_finished and newer.result == "found"


async def test_a_failed_worker_still_fails_the_wait():
    app = Lookups()
    async with app.run_test():
        app.run_worker(app.lookup(0.05, fail=True), exit_on_error=False)
        with pytest.raises(WorkerFailed):
            await workers_done(app)
