"""The one SQLite set-up, for the terminal's store, the server's embedded database and the
engines' derived files.

Durable files (the store, the server's database) run in WAL mode with synchronous=FULL: a commit
is on disk before anyone is told it is saved. Derived files (the routing statistics) can be
rebuilt, so they skip the fsync. Writers open their transactions with BEGIN IMMEDIATE: a deferred
transaction that reads and then writes can fail with SQLITE_BUSY on upgrade, which no busy
timeout cures.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from .files import private_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 10_000


def configure(conn: sqlite3.Connection, *, durable: bool = True,
              busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """Pragmas every connection of ours runs first."""
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'OFF'}")
    conn.execute("PRAGMA foreign_keys = ON")


def connect(path: Path | str, *, durable: bool = True,
            busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A raw connection in autocommit mode: callers BEGIN (IMMEDIATE) themselves."""
    _private(path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    configure(conn, durable=durable, busy_timeout_ms=busy_timeout_ms)
    return conn


def make_engine(path: Path | str, *, writer: bool,
                busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """A SQLAlchemy engine on a durable file: `writer` engines BEGIN IMMEDIATE, readers BEGIN
    (WAL readers never wait for a writer)."""
    from sqlalchemy import event
    from sqlmodel import create_engine

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"
    _private(path)
    engine = create_engine(f"sqlite:///{path}",
                           connect_args={"check_same_thread": False, "isolation_level": None})
    event.listen(engine, "connect",
                 lambda dbapi, _rec: configure(dbapi, busy_timeout_ms=busy_timeout_ms))
    event.listen(engine, "begin", lambda c: c.exec_driver_sql(begin))
    return engine


def _private(path: Path | str) -> None:
    """Every file of ours holds callers' data or is derived from it: 0600 (models.store.files)."""
    if str(path) not in ("", ":memory:"):
        private_file(Path(path))
