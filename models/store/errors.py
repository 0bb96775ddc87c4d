"""When the store's disk or file fails: a sentence that says what happened and what to do.

SQLite reports a full disk, a read-only file, a damaged file or a lock held too long as an
exception; the agent and the operator need a sentence, not a traceback, and nothing already
typed may be lost (the form keeps it, drafts are retried). `explain` turns a raw error into a
`StoreProblem`, or None when it is not one of these.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StoreProblem(RuntimeError):
    """The store cannot be used as it is; `str()` is the sentence to show."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code  # empty | damaged | read_only | full | locked | too_new


def empty_store(path: Path) -> StoreProblem:
    return StoreProblem(
        f"The store {path} is empty (0 bytes): it was truncated or replaced, and Hotline will "
        "not replace it with a new one (that would lose this terminal's id, queue and cases). "
        "Restore it from a backup, or move it away to start this terminal afresh.", code="empty")


def explain(exc: BaseException, path: Path) -> StoreProblem | None:
    """The sentence for an error from SQLite (directly or wrapped by SQLAlchemy)."""
    if isinstance(exc, StoreProblem):
        return exc
    raw = getattr(exc, "orig", None) or exc
    if not isinstance(raw, sqlite3.Error):
        return None
    text = str(raw).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return StoreProblem(
            f"The disk holding {path} is full: nothing more can be saved until space is freed. "
            "What is on screen is kept; free some space and save again.", code="full")
    # A read-only disk under a WAL store: the -shm file cannot be made, so it cannot be opened.
    if "readonly" in text or "read-only" in text or "unable to open database file" in text:
        return StoreProblem(
            f"The store {path} is read-only (its file, folder or disk): nothing can be saved. "
            "Check the permissions and the disk; what is on screen is kept.", code="read_only")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreProblem(
            f"The store {path} is damaged ({raw}). Restore it from a backup; the damaged file "
            "is left as it is for inspection.", code="damaged")
    if "locked" in text or "busy" in text:
        return StoreProblem(
            f"The store {path} is busy: another program (an import, a sync) holds it. "
            "Try again in a moment; nothing was lost.", code="locked")
    return None
