"""Writing drafts: the one place they are saved, and a thread that saves them off the UI.

Light on purpose (sqlite3 only): the intake form uses it from its first keystroke, before the
ORM has loaded, and the agent's typing never waits for the disk.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from models.domain.timeutil import now, to_db_text

if TYPE_CHECKING:
    from models.domain.case_shape import CaseDraft

OPEN, SAVED, DISCARDED = "open", "saved", "discarded"
RETRY_SECONDS = 1.0

log = logging.getLogger(__name__)


def upsert_draft(conn: sqlite3.Connection, draft_id: str, agent: str, draft: CaseDraft) -> None:
    """Create or update an open draft (a closed one is never reopened by a late write)."""
    import json  # on the writer's thread, not on the TUI's cold start

    at = to_db_text(now())
    conn.execute(
        "INSERT INTO draft (id, agent, created_at, updated_at, data, state) "
        "VALUES (?, ?, ?, ?, ?, 'open') ON CONFLICT (id) DO UPDATE SET "
        "data = excluded.data, updated_at = excluded.updated_at WHERE draft.state = 'open'",
        (draft_id, agent, at, at, json.dumps(draft.to_dict(), ensure_ascii=False)))


def set_draft_state(conn: sqlite3.Connection, draft_id: str, state: str) -> None:
    conn.execute("UPDATE draft SET state = ? WHERE id = ?", (state, draft_id))


class DraftWriter:
    """Keeps the latest state of each draft and writes it on its own thread.

    `put` and `close` return at once; writes happen in order per draft, coalesced (only the
    newest state of a draft is written). A failed write (disk full, store locked) is retried:
    the form on screen still holds everything, and `last_error` says what went wrong.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_error: str = ""
        self._pending: dict[str, tuple] = {}
        self._busy = False
        self._stopping = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="draft-writer", daemon=True)
        self._thread.start()

    def put(self, draft_id: str, agent: str, draft: CaseDraft) -> None:
        with self._cond:
            self._pending[draft_id] = ("save", agent, draft)
            self._cond.notify()

    def close(self, draft_id: str, state: str = SAVED) -> None:
        with self._cond:
            previous = self._pending.pop(draft_id, None)
            # A state never written must still exist before it can be closed.
            self._pending[draft_id] = ("close", state, previous)
            self._cond.notify()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything handed over is on disk; False if that took too long."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def stop(self) -> None:
        self.flush()
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from .local import connect

        conn: sqlite3.Connection | None = None
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopping)
                if self._stopping and not self._pending:
                    return
                batch, self._pending = self._pending, {}
                self._busy = True
            try:
                conn = conn or connect(self.path)
                conn.execute("BEGIN IMMEDIATE")
                for draft_id, item in batch.items():
                    if item[0] == "save":
                        upsert_draft(conn, draft_id, item[1], item[2])
                    else:
                        _, state, previous = item
                        if previous is not None and previous[0] == "save":
                            upsert_draft(conn, draft_id, previous[1], previous[2])
                        set_draft_state(conn, draft_id, state)
                conn.execute("COMMIT")
                self.last_error = ""
            except sqlite3.Error as exc:
                log.warning("draft not written, will retry: %s", exc)
                self.last_error = str(exc)
                if conn is not None:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                with self._cond:  # put the batch back unless newer states arrived meanwhile
                    for draft_id, item in batch.items():
                        self._pending.setdefault(draft_id, item)
                    self._busy = False
                    self._cond.notify_all()
                    self._cond.wait(RETRY_SECONDS)
                continue
            with self._cond:
                self._busy = False
                self._cond.notify_all()
