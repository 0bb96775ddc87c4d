"""A big import's helper processes (`models.importing.reader`): the reading process and the
tokenising one give the store exactly what one process gives, and a helper that dies stops
the import with its name, keeping what was written."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models.importing import frames
from models.importing.importer import ImportError_, import_csv
from models.reference.catalogue import ensure_catalogue
from models.store import open_store

# Three batches of the reading process and a last one of rejected rows only; the texts grow
# longer from batch to batch, so each batch's weights depend on the lengths before it.
ROWS = 7_000


def _file(tmp_path, rows: int = ROWS, name: str = "cases.csv") -> str:
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "created_at", "caller_phone", "address", "title", "description",
                    "category", "department", "status", "latitude", "longitude"])
        for i in range(rows):
            if i % 3:
                w.writerow([f"Z{i}", "2026-03-10 09:00:00", f"1380000{i % 500:04d}",
                            f"芦席营{i % 90}号", "", f"芦席营{i % 90}号楼下油烟扰民，第{i}次反映" * (1 + i // 2500 % 4),
                            "油烟扰民", ("环保局", "市场监管局", f"芦席营第{i % 7}办")[i % 3],
                            ("open", "resolved")[i % 2], "32.05", "118.78"])
            else:
                w.writerow([f"E{i}", "2019-04-25 09:32:09", "", f"{i % 70} W Bellevue Ave",
                            "Street light", f"Street light dark on W Bellevue Ave, report {i}",
                            "Street lights", "DOT", "closed", "", ""])  # (the catalogue's name)
        for i in range(5):  # rejected: no description
            w.writerow([f"X{i}", "2026-03-10 09:00:00", "", "addr", "", ""])
    return str(path)


def _contents(store) -> dict:
    with store.raw() as conn:
        def rows(sql):
            return conn.execute(sql).fetchall()
        columns = [c for _, c, *_ in conn.execute('PRAGMA table_info("case")') if c != "id"]
        return {  # every column but the id (made new), with each value's type
            "cases": rows(f'SELECT rowid, {", ".join(columns)}, '
                          f'{", ".join(f"typeof({c})" for c in columns)} FROM "case" ORDER BY rowid'),
            "pending": rows("SELECT code, name, cases FROM pending_department ORDER BY 1"),
            "terms": rows("SELECT * FROM search_term ORDER BY 1"),
            "postings": rows("SELECT * FROM search_postings ORDER BY 1, 2"),
            "state": rows("SELECT * FROM search_state ORDER BY 1"),
        }


def test_the_reading_process_reads_numbers_in_the_importing_process_region(tmp_path):
    """The reading process is a fresh interpreter: it takes the region from the plan, not its
    own default (a US line's local numbers went in as Shanghai landlines otherwise)."""
    from models.domain.phone import set_region

    path = tmp_path / "us.csv"
    path.write_text("case_id,caller_phone,description\nA1,212 555 0100,Pothole\n"
                    "A2,+86 138 1234 5678,路灯不亮\n", encoding="utf-8")
    set_region("US")
    store = open_store(tmp_path / "us")
    assert import_csv(store, path, parallel=True).imported == 2
    with store.raw() as conn:
        phones = [r[0] for r in conn.execute('SELECT caller_phone FROM "case" ORDER BY rowid')]
    assert phones == ["+12125550100", "+8613812345678"]


def test_the_helper_processes_import_exactly_what_one_process_does(tmp_path):
    one, three = (open_store(tmp_path / name) for name in ("one", "three"))
    path, before = _file(tmp_path), _file(tmp_path, 3000, "before.csv")
    for store in (one, three):  # its first 3,000 rows already there: skipped as duplicates
        with store.writer() as s:
            ensure_catalogue(s)  # (category and department names matched to it)
        import_csv(store, before, parallel=False)
    alone = import_csv(one, path, parallel=False)
    helped = import_csv(three, path, parallel=True)
    assert (helped.imported, helped.rejected_count) == (alone.imported, alone.rejected_count)
    assert helped.imported == ROWS - 3000 and helped.rejected_count == 5
    assert helped.duplicates == alone.duplicates == 3000
    assert helped.rejected == alone.rejected
    a, b = _contents(one), _contents(three)
    assert len(a["cases"]) == ROWS and len(a["postings"]) > 0 and len(a["pending"]) > 0
    assert sum("street_light" in row for row in a["cases"]) == ROWS // 3 + 1  # (names → codes)
    for part in a:
        assert b[part] == a[part], part  # the same rows, terms, postings (bytes) and lengths


def _helpers() -> list[int]:
    """This process's children (the import's helper processes)."""
    me = os.getpid()
    kids = []
    for task in os.listdir(f"/proc/{me}/task"):
        try:
            kids += map(int, Path(f"/proc/{me}/task/{task}/children").read_text().split())
        except FileNotFoundError:  # a thread that ended since the listing (an inbox's)
            continue
    return kids


def _kill_helper(flag: str) -> bool:
    """SIGKILL this process's child whose command line has `flag`."""
    for kid in _helpers():
        try:
            command = Path(f"/proc/{kid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if flag.encode() in command:
            os.kill(kid, signal.SIGKILL)
            return True
    return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the helper through /proc")
@pytest.mark.parametrize("flag, name", [("--tokenise", "tokenising"), ("--texts-fd", "reading")])
def test_a_helper_that_dies_stops_the_import_naming_it_and_nothing_is_lost(tmp_path, flag, name):
    store = open_store(tmp_path / "store")
    path = _file(tmp_path, 30_000)
    killed = []

    def progress(pos, total):  # after the first batch is written
        if not killed:
            killed.append(_kill_helper(flag))

    with pytest.raises(ImportError_, match=f"the {name} process stopped"):
        import_csv(store, path, parallel=True, progress=progress)
    assert killed == [True]
    with store.raw() as conn:
        written = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
    assert 0 < written < 30_000
    again = import_csv(store, path, parallel=True)  # the rest, once
    assert again.imported == 30_000 - written and again.duplicates == written
    with store.raw() as conn:
        assert conn.execute('SELECT count(DISTINCT id), count(*) FROM "case"').fetchone() == (
            30_000, 30_000)


def test_an_inbox_gives_the_frames_in_order_then_end_of_file():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as source:
        inbox = frames.Inbox(source)
        with os.fdopen(write_end, "wb") as out:
            for item in ({"docs": 2.0}, ["芦席营", "油烟"], None):
                frames.send(out, item)
            out.write((100).to_bytes(8, "little") + b"cut short")  # a sender that died
        assert [inbox.get() for _ in range(3)] == [{"docs": 2.0}, ["芦席营", "油烟"], None]
        for _ in range(2):
            with pytest.raises(EOFError):
                inbox.get()
        inbox.close()


def _pester(pids, stop: threading.Event, stops: list) -> None:
    """Stop and continue the processes again and again, as Ctrl+Z then `fg` does, until told."""
    while not stop.wait(0.002):
        for pid in pids():
            try:
                os.kill(pid, signal.SIGSTOP)
                time.sleep(0.005)
                os.kill(pid, signal.SIGCONT)
                stops.append(pid)
            except ProcessLookupError:
                pass


_SENDER = """
import sys
from models.importing import frames
for i in range(1000):
    frames.send(sys.stdout.buffer, (i, bytes([i % 251]) * (150_000 + i * 997 % 200_000)))
frames.send(sys.stdout.buffer, None)
"""


def test_frames_arrive_whole_when_the_sender_is_stopped_and_continued():
    # A stopped process's big pipe write comes back partial; the frames lost bytes there
    # (the file object's write), and the receiver read garbage (MemoryError, UnpicklingError).
    sender = subprocess.Popen([sys.executable, "-c", _SENDER], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[2])
    stop, stops = threading.Event(), []
    pester = threading.Thread(target=_pester, args=(lambda: [sender.pid], stop, stops))
    pester.start()
    try:
        inbox = frames.Inbox(sender.stdout)
        got = []

        def receive():
            while (item := inbox.get()) is not None:  # (EOFError when a frame is lost)
                got.append(item)
        _within(60, receive)
    finally:
        stop.set()
        pester.join()
        sender.kill()  # (gone already, unless the receiver stopped reading)
        sender.wait()
    assert len(stops) >= 10
    assert [i for i, _ in got] == list(range(1000))
    assert all(data == bytes([i % 251]) * (150_000 + i * 997 % 200_000) for i, data in got)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the helpers through /proc")
def test_an_import_stopped_and_continued_gives_what_one_process_gives(tmp_path):
    one, three = (open_store(tmp_path / name) for name in ("one", "three"))
    path = _file(tmp_path, 30_000)
    import_csv(one, path, parallel=False)
    stop, stops = threading.Event(), []
    pester = threading.Thread(target=_pester, args=(_helpers, stop, stops))
    pester.start()
    try:  # (a frame that lost bytes left the three processes waiting on each other)
        report = _within(120, lambda: import_csv(three, path, parallel=True))
    finally:
        stop.set()
        pester.join()
    assert stops and report.imported == 30_000
    assert _contents(three) == _contents(one)


def _within(seconds: float, work):
    """`work()`'s result, or a test failure (not a hang) when it takes longer than `seconds`."""
    out: dict = {}

    def run():
        try:
            out["value"] = work()
        except BaseException as exc:  # (raised again in the test's thread)
            out["error"] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    if "error" in out:
        raise out["error"]
    return out["value"]
