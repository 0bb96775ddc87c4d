"""The server's database: PostgreSQL (`postgresql+psycopg://...`) or a SQLite file.

Stateless by construction: everything that matters lives in the database, so any number of
server processes on one PostgreSQL behave as one. Write transactions bump the single
`sync_clock` row (UPDATE ... RETURNING takes its row lock), which orders commits; reads that
must be consistent (a pull) run in one snapshot (REPEATABLE READ on PostgreSQL, one deferred
transaction on SQLite in WAL mode).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

from models.store.files import private_dir
from models.store.sqlite import make_engine

from .tables import changelog

TIMEOUT_S = 30.0  # a statement, a wait for SQLite's write lock, a wait for a pooled connection
CONNECT_TIMEOUT_S = 5

# What "the database is away or too slow" looks like: answered 503 with Retry-After, never 500.
UNAVAILABLE = (OperationalError, PoolTimeout, DisconnectionError)


def is_unavailable(exc: BaseException) -> bool:
    """The database is away, refused the connection, timed out or was cancelled (not a bug)."""
    if isinstance(exc, UNAVAILABLE):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def normalise_url(url: str) -> str:
    """Accept a bare path for SQLite and `postgresql://` (meaning psycopg 3)."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, timeout_s: float = TIMEOUT_S,
                 connect_timeout_s: int = CONNECT_TIMEOUT_S) -> None:
        self.url = normalise_url(url)
        self.is_pg = self.url.startswith("postgresql")
        self.timeout_s = timeout_s
        if self.is_pg:
            # No pre-ping (a round trip per checkout): a dead connection fails the request (503),
            # the client retries, and the pool replaces it. A frozen or unreachable database
            # fails within the timeouts instead of holding every request thread.
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=2 * pool_size, pool_recycle=1800,
                pool_timeout=timeout_s,
                connect_args={
                    "connect_timeout": connect_timeout_s,
                    "options": f"-c statement_timeout={int(timeout_s * 1000)}",
                    # A host that stops acknowledging (gone from the network) fails the
                    # connection instead of holding its request thread for ever.
                    "tcp_user_timeout": int(timeout_s * 1000),
                    "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                    "keepalives_count": 3})
            self.write_engine = self.engine
            self.read_engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
        else:
            path = self.url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                private_dir(Path(path).parent, narrow=False)  # holds every caller: 0700/0600
            busy = int(timeout_s * 1000)
            self.engine = make_engine(path, writer=False, busy_timeout_ms=busy)
            self.read_engine = self.engine
            self.write_engine = make_engine(path, writer=True, busy_timeout_ms=busy)

    def ping(self) -> None:
        """One round trip to the database; raises what the driver raises when it is away."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def writer(self) -> Session:
        return Session(self.write_engine, expire_on_commit=False, autoflush=False)

    def reader(self) -> Session:
        return Session(self.read_engine, expire_on_commit=False, autoflush=False)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def bump_clock(session: Session) -> int:
    """Take the clock's row lock and the next version (call late: the lock is held to commit)."""
    return session.execute(text(
        "UPDATE sync_clock SET version = version + 1 WHERE id = 1 RETURNING version")).scalar_one()


def current_version(session: Session) -> int:
    return session.execute(text("SELECT version FROM sync_clock WHERE id = 1")).scalar_one()


def log_changes(session: Session, changes: Iterable[tuple[str, str]]) -> int:
    """Bump the clock and record the changes under the new version; returns the version."""
    seen: dict[tuple[str, str], None] = dict.fromkeys(changes)
    version = bump_clock(session)
    if seen:
        session.execute(insert(changelog), [
            {"version": version, "entity": e, "entity_id": i} for e, i in seen])
    return version
