"""The terminal's side without a server: the outbox written with the save, the store step that
queues cases saved before it existed, the status line, and the import direction."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from models.cases import add_note, file_case
from sync.client import queue

from ..conftest import FIXTURES
from .sync_support import draft


def test_save_writes_case_and_outbox_in_one_transaction(store):
    case = file_case(store, draft(1), "a1")
    add_note(store, case.id, "补充说明", "a1")
    rows = queue.items(store)
    assert [(r.name, r.case_id, r.state) for r in rows] == [
        ("case.create.v1", case.id, "pending"), ("case.note.v1", case.id, "pending")]
    assert rows[0].payload["case"]["id"] == case.id and "sync_state" not in rows[0].payload["case"]
    assert [e["kind"] for e in rows[0].payload["events"]] == ["created", "note"]
    assert rows[1].seq > rows[0].seq
    # A save that fails validation leaves neither a case nor an outbox row.
    from models.domain.messages import ValidationFailed
    with pytest.raises(ValidationFailed):
        file_case(store, draft(2, description=""), "a1")
    assert len(queue.items(store)) == 2


def test_sequence_numbers_are_never_reused(store):
    file_case(store, draft(1), "a1")
    last = queue.items(store)[-1].seq
    with store.writer() as s:  # the server confirmed it: the row goes
        from sqlalchemy import text
        s.execute(text("DELETE FROM outbox"))
        s.commit()
    file_case(store, draft(2), "a1")
    assert queue.items(store)[0].seq == last + 1


def test_store_step_queues_cases_saved_before_the_outbox(tmp_path):
    from models.store import open_store

    shutil.copy(FIXTURES / "store_v1.db", tmp_path / "hotline.db")
    s = open_store(tmp_path)
    with s.raw() as conn:
        local = conn.execute("SELECT count(*) FROM \"case\" WHERE sync_state = 'local'").fetchone()[0]
    rows = queue.items(s, limit=10_000)
    assert local > 0 and len(rows) == local
    assert all(r.name == "case.create.v1" and r.payload["case"]["id"] == r.case_id for r in rows)
    from sync.protocol import CaseCreatePayload
    for r in rows:  # the queued payloads are valid wire payloads
        CaseCreatePayload.model_validate(r.payload)


def test_status_line_renders_every_state():
    from agent_tui.widgets.sync_status import render_status
    from sync.client.worker import SyncStatus

    text = render_status(SyncStatus(state="offline", queue=3, oldest_age=125, conflicts=1,
                                    rejected=2, retry_in=4.2), "en").plain
    assert text == "● offline  3 queued, oldest 2m  retry in 4s  1 conflicts  2 rejected"
    assert render_status(SyncStatus(state="online"), "zh").plain == "● 在线"
    for state in ("local", "connecting", "online", "sending", "offline", "auth", "too_old", "error"):
        assert render_status(SyncStatus(state=state), "zh").plain


@pytest.mark.parametrize("package,forbidden", [
    ("sync.client.engine", ("sync.server", "fastapi", "uvicorn", "alembic", "textual")),
    ("sync.client.worker", ("sync.server", "fastapi", "uvicorn", "alembic", "textual")),
    ("sync.server.app", ("sync.client", "textual", "httpx")),
    ("models.store.outbox", ("sync", "fastapi", "httpx", "textual")),
])
def test_import_direction(package, forbidden):
    code = f"import sys, {package}; print('\\n'.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    bad = {m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)}
    assert not bad, bad
