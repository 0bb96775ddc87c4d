"""The server's database: PostgreSQL (`postgresql+psycopg://...`) or a SQLite file.

Stateless by construction: everything that matters lives in the database, so any number of
server processes on one PostgreSQL behave as one. Write transactions bump the single
`sync_clock` row (UPDATE ... RETURNING takes its row lock), which orders commits; reads that
must be consistent (a pull) run in one snapshot (REPEATABLE READ on PostgreSQL, one deferred
transaction on SQLite in WAL mode).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
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
            # Single reads that need no transaction (the sign-in on every request): no BEGIN
            # and ROLLBACK round trips around them. Same pool.
            self.lookup_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            path = self.url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                private_dir(Path(path).parent, narrow=False)  # holds every caller: 0700/0600
            busy = int(timeout_s * 1000)
            self.engine = make_engine(path, writer=False, busy_timeout_ms=busy)
            self.read_engine = self.lookup_engine = self.engine
            self.write_engine = make_engine(path, writer=True, busy_timeout_ms=busy)

    def ping(self) -> None:
        """One round trip to the database; raises what the driver raises when it is away."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def warm(self, connections: int) -> None:
        """Open up to `connections` of the pool's connections now (PostgreSQL), before requests
        come: each one opened under load cost its request tens of milliseconds (a new server
        backend, its sign-in, its first statements), and showed as the slowest pushes of a
        busy minute."""
        if not self.is_pg:
            return
        held = []
        try:
            for _ in range(min(connections, self.engine.pool.size())):
                held.append(conn := self.engine.connect())
                conn.execute(text("SELECT 1"))
        except UNAVAILABLE:
            pass  # the database is away: requests answer 503 until it is back, as ever
        finally:
            for conn in held:
                conn.close()

    def writer(self) -> Session:
        return Session(self.write_engine, expire_on_commit=False, autoflush=False)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read in one snapshot. It ends with COMMIT, not ROLLBACK (the same for a read):
        psycopg forgets a connection's prepared statements at every ROLLBACK, so statements
        read on every pull were parsed and planned anew each time."""
        with Session(self.read_engine, expire_on_commit=False, autoflush=False) as session:
            yield session
            if session.in_transaction():
                session.commit()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction.

    On PostgreSQL, many rows go in one COPY: an executemany sends one INSERT per row, and its
    per-row parameter handling was most of a push's time. The values pass through the columns'
    own bind processors first (aware times checked, JSON encoded), so what is stored is what an
    INSERT stores; the driver's errors come out as SQLAlchemy's (a unique key broken is an
    IntegrityError, a database away an OperationalError). SQLite, and rows whose keys differ or
    leave out a column with a Python-side default, take the ordinary executemany."""
    if not rows:
        return
    keys = list(rows[0])
    defaults = _copy_defaults(session, table, keys, len(rows))
    if defaults is None or any(len(r) != len(keys) or r.keys() != rows[0].keys() for r in rows):
        session.execute(insert(table), rows)
        return
    conn = session.connection()
    dialect = conn.dialect
    # The processors SQLAlchemy itself applies to these columns' values on this dialect, by
    # position; the values are picked in C (itemgetter) and only those columns converted.
    procs = [(i, p) for i, k in enumerate(keys)
             if (p := _bind_processor(table.c[k].type, dialect)) is not None]
    pick = itemgetter(*keys) if len(keys) > 1 else (lambda r: (r[keys[0]],))
    fixed = [v if (p := _bind_processor(table.c[k].type, dialect)) is None else p(v)
             for k, v in defaults.items()]
    quote = dialect.identifier_preparer.quote
    statement = (f"COPY {dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(k) for k in [*keys, *defaults])}) FROM STDIN")
    driver = conn.connection.driver_connection
    try:
        with driver.cursor() as cur, cur.copy(statement) as copy:
            for r in rows:
                values = [*pick(r), *fixed]
                for i, p in procs:
                    values[i] = p(values[i])
                copy.write_row(values)
    except dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy raises it: IntegrityError, ...
        gone = dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if gone:
            conn.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error,
                                  connection_invalidated=gone, dialect=dialect) from exc


COPY_FROM = 20  # fewer rows than this: an executemany costs less than a COPY's round trips


def _copy_defaults(session: Session, table: Table, keys: list[str], count: int
                   ) -> dict[str, Any] | None:
    """The Python-side defaults an INSERT would add for the columns `keys` leaves out, or None
    when these rows are not for a COPY (too few, not PostgreSQL, a default only SQLAlchemy can
    compute)."""
    if count < COPY_FROM or session.get_bind().dialect.name != "postgresql":
        return None
    if any(k not in table.c for k in keys):
        return None
    defaults = {}
    for c in table.c:
        if c.key in keys or c.default is None:
            continue
        if not c.default.is_scalar:
            return None
        defaults[c.key] = c.default.arg
    return defaults


def among(column: ColumnElement, values: Iterable[Any], is_pg: bool) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(:array)`, one parameter: a statement with
    hundreds of parameters is parsed anew by the driver each time, as slowly as it runs."""
    values = list(values)
    if is_pg:
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def among_bound(column: ColumnElement, name: str, is_pg: bool) -> ColumnElement[bool]:
    """`among` for a statement built once: the values are bound by `name` when it runs."""
    if is_pg:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


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
        bulk_insert(session, changelog, [
            {"version": version, "entity": e, "entity_id": i} for e, i in seen])
    return version


def _bind_processor(column_type, dialect):
    """What SQLAlchemy applies to a value of `column_type` on `dialect` (JSON to text ...)."""
    return column_type.dialect_impl(dialect).bind_processor(dialect)
