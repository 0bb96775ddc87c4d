"""The terminal's local store: one SQLite file in the data dir, WAL, synchronous=FULL.

What the agent saved is on disk before the UI says so (FULL fsyncs each commit). Writes take
the lock up front (BEGIN IMMEDIATE) so two processes (the TUI and `hotline new`) never deadlock
halfway through a transaction; a busy timeout lets them queue politely.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from models.domain.timeutil import local_zone

from . import deferred_indexes, migrations
from .errors import empty_store, explain
from .files import narrow_siblings, private_dir, private_file
from .sqlite import connect, make_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

# SQLAlchemy is imported on first use of a session, not when the store opens: the intake form
# is on screen before it has loaded (cold start is measured in benchmarks/bench_intake.py).

STORE_FILE = "hotline.db"


def default_data_dir() -> Path:
    env = os.environ.get("HOTLINE_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("hotline", appauthor=False))


class Store:
    """The local store of one terminal (one data dir)."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = private_dir(Path(data_dir))
        self.path = self.data_dir / STORE_FILE
        if self.path.exists() and self.path.stat().st_size == 0:
            raise empty_store(self.path)  # never silently replaced by a new, empty store
        private_file(self.path)  # created 0600 before SQLite opens it; its -wal/-shm follow
        try:
            conn = connect(self.path)
            try:
                self.migrated_from, self.version = migrations.migrate(conn)
                deferred_indexes.mend(conn)  # a bulk import that crashed halfway
            finally:
                conn.close()
            narrow_siblings(self.path)
            self._ensure_identity()
        except sqlite3.Error as exc:
            problem = explain(exc, self.path)
            if problem is None:
                raise
            raise problem from exc

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.path, writer=False)

    @cached_property
    def write_engine(self) -> Engine:
        return make_engine(self.path, writer=True)

    def session(self) -> Session:
        """For reading: WAL readers never wait for a writer."""
        from sqlmodel import Session

        return Session(self.engine, expire_on_commit=False)

    def writer(self) -> Session:
        """For a write transaction: holds the store's write lock from its first statement."""
        from sqlmodel import Session

        return Session(self.write_engine, expire_on_commit=False)

    @contextmanager
    def raw(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def close(self) -> None:
        for name in ("engine", "write_engine"):
            if name in self.__dict__:  # only the engines that were made
                self.__dict__.pop(name).dispose()

    # --- facts about this store -------------------------------------------------------------
    def get_meta(self, key: str, default: str = "") -> str:
        with self.raw() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.raw() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def _ensure_identity(self) -> None:
        client_id = str(uuid.uuid4())
        with self.raw() as conn:
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT 1 FROM meta WHERE key = 'client_id'").fetchone() is None:
                conn.execute("INSERT INTO meta (key, value) VALUES ('client_id', ?)", (client_id,))
                # The case-number prefix must differ between terminals so that numbers made
                # offline never collide; a city can set its own with `set_meta`.
                conn.execute("INSERT INTO meta (key, value) VALUES ('terminal_prefix', ?)",
                             (client_id[:4].upper(),))
            conn.execute("COMMIT")

    @property
    def client_id(self) -> str:
        return self.get_meta("client_id")

    @property
    def terminal_prefix(self) -> str:
        return self.get_meta("terminal_prefix")

    def next_case_no(self, session: Session, at: datetime) -> str:
        """Next number for the terminal and local day, inside the caller's transaction."""
        from .tables import Counter, Meta

        day = at.astimezone(local_zone()).strftime("%y%m%d")
        prefix = session.get(Meta, "terminal_prefix")
        key = f"{prefix.value if prefix else 'T'}-{day}"
        counter = session.get(Counter, key) or Counter(key=key, value=0)
        counter.value += 1
        session.add(counter)
        return f"{key}-{counter.value:04d}"


def open_store(data_dir: Path | str | None = None) -> Store:
    return Store(data_dir or default_data_dir())
