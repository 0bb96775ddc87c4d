"""Issue 10: the store fails while the TUI runs (its disk read-only or full, its file damaged):
saving a call says so in a sentence with what to do, and the call typed stays on the form.

Real failures, not simulated ones: the store lives on its own small tmpfs, remounted read-only
or filled up mid-run; the damaged store is a real file overwritten with garbage. Mounting needs
root (CAP_SYS_ADMIN): elsewhere those cases are skipped."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea

from agent_tui.app import HotlineApp
from tests.tui.conftest import workers_done
from tests.tui.test_tui import text_of


def _mount(path: Path, size: str = "4m") -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    if not _mount(where):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _store(data: Path):
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store

    store = open_store(data)
    store.set_meta("terminal_prefix", "T01")
    with store.writer() as s:
        ensure_catalogue(s)
    return store


async def _type_a_call(pilot) -> None:
    await pilot.press(*"13812345678", "tab", "tab")
    app = pilot.app
    app.screen.query_one("#description", TextArea).insert("路灯不亮，请尽快处理")
    app.screen.query_one("#address", Input).value = "梦都大街1号"
    await pilot.pause()


async def _save_and_read(pilot) -> str:
    await pilot.press("ctrl+s")
    for _ in range(6):
        await workers_done(pilot.app)
        await pilot.pause(0.1)
    return text_of(pilot.app.screen.query_one("#status", Static))


def _kept(app) -> None:
    form = app.screen.query_one("IntakeForm").collect()
    assert form.description == "路灯不亮，请尽快处理" and form.address == "梦都大街1号"
    assert form.caller_phone == "13812345678"


def _go_read_only(app, disk: Path) -> None:
    """Remount the store's disk read-only under the running app. Linux refuses that while a
    file on it is open for writing, so the app's connections are let go first (as after an
    idle reconnect): the next ones open on a read-only disk."""
    from models.store.draft_writer import DraftWriter

    app.drafts.stop()
    app.store.close()
    app.router.close()
    import gc
    import sqlite3

    for conn in [o for o in gc.get_objects() if isinstance(o, sqlite3.Connection)]:
        try:
            conn.close()  # any connection left open on the disk (a worker thread's)
        except sqlite3.ProgrammingError:
            pass
    held = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")]
    done = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
    assert done.returncode == 0, (done.stderr, [h for h in held if str(disk) in h])
    app.drafts = DraftWriter(app.store.path)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_read_only_disk_mid_run(small_disk, lang):
    store = _store(small_disk / "data")
    app = HotlineApp(store, lang=lang, agent="a01")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_a_call(pilot)
        _go_read_only(app, small_disk)
        try:
            said = await _save_and_read(pilot)
            _kept(app)
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert ("read-only" in said and "permissions" in said) if lang == "en" else "只读" in said, said
    assert "Traceback" not in said


async def test_full_disk_mid_run(small_disk):
    store = _store(small_disk / "data")
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_a_call(pilot)
        filler = small_disk / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
        try:
            said = await _save_and_read(pilot)
            _kept(app)
        finally:
            filler.unlink()
    assert "full" in said and "free" in said, said


async def test_damaged_store_mid_run(tmp_path):
    store = _store(tmp_path / "data")
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_a_call(pilot)
        store.close()  # the damage is found by the next connection that reads the file
        for name in ("hotline.db-wal", "hotline.db-shm"):
            (store.data_dir / name).unlink(missing_ok=True)
        size = store.path.stat().st_size
        store.path.write_bytes(os.urandom(size))
        said = await _save_and_read(pilot)
        _kept(app)
    assert "damaged" in said and "backup" in said, said


async def test_lookups_on_a_damaged_store_say_so_once(tmp_path):
    """The lookups read while the agent types: on a damaged store they end cleanly (no worker
    fails, the app runs on) and the agent reads one notice saying what to do."""
    store = _store(tmp_path / "data")
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_a_call(pilot)
        await workers_done(pilot.app)
        store.close()
        for name in ("hotline.db-wal", "hotline.db-shm"):
            (store.data_dir / name).unlink(missing_ok=True)
        store.path.write_bytes(os.urandom(store.path.stat().st_size))
        for _ in range(2):  # two rounds of lookups: one notice
            app.screen.lookups.now()
            await workers_done(pilot.app)  # raises if a worker failed
            await pilot.pause(0.1)
        said = [n.message for n in app._notifications]
        _kept(app)
        assert app.is_running
    assert len(said) == 1 and "damaged" in said[0] and "backup" in said[0], said
