"""The store's disk or file failing: a sentence that says what to do, never a silent new store,
and files that only their owner can read."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from models.domain.case_shape import CaseDraft
from models.store import StoreProblem, open_store
from models.store.errors import explain


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_files_are_private(tmp_path):
    data = tmp_path / "data"
    store = open_store(data)
    from models.cases import file_case
    from models.reference.catalogue import ensure_catalogue

    with store.writer() as s:
        ensure_catalogue(s)
        s.commit()
    file_case(store, CaseDraft(description="路灯不亮", address="龙蟠中路", lead_department="城管"), "a1")
    assert mode(data) == 0o700
    for name in ("hotline.db", "hotline.db-wal", "hotline.db-shm"):
        assert mode(data / name) == 0o600, name
    store.close()


def test_an_older_store_made_readable_by_all_is_narrowed_when_opened(tmp_path):
    data = tmp_path / "data"
    open_store(data).close()
    os.chmod(data, 0o755)
    os.chmod(data / "hotline.db", 0o644)
    open_store(data).close()
    assert mode(data) == 0o700 and mode(data / "hotline.db") == 0o600


def test_an_empty_store_is_refused_never_replaced(tmp_path):
    data = tmp_path / "data"
    store = open_store(data)
    client_id = store.client_id
    store.close()
    (data / "hotline.db").write_bytes(b"")
    for leftover in ("hotline.db-wal", "hotline.db-shm"):
        (data / leftover).unlink(missing_ok=True)
    with pytest.raises(StoreProblem) as err:
        open_store(data)
    assert err.value.code == "empty" and "0 bytes" in str(err.value)
    assert (data / "hotline.db").stat().st_size == 0  # left as it was, not a new store
    assert client_id  # the old id is not silently replaced by a new one


def test_a_damaged_store_says_so(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "hotline.db").write_bytes(b"this is not a database" * 500)
    with pytest.raises(StoreProblem) as err:
        open_store(data)
    assert err.value.code == "damaged" and "backup" in str(err.value)


def test_full_and_read_only_disks_become_sentences(tmp_path):
    """Real SQLite errors: a page limit stands in for a full disk, query_only for a read-only file."""
    path = tmp_path / "x.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.Error) as full:
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 50)
    conn.execute("PRAGMA query_only = ON")
    with pytest.raises(sqlite3.Error) as read_only:
        conn.execute("INSERT INTO t VALUES ('y')")
    assert explain(full.value, path).code == "full"
    assert explain(read_only.value, path).code == "read_only"
    assert "free" in str(explain(full.value, path)) and "permissions" in str(explain(read_only.value, path))
