"""The server's database handle (`sync.server.db.Database`) on the real PostgreSQL: what its
connections keep between requests and when they are opened."""

from __future__ import annotations

from sqlalchemy import text

from sync.server.db import Database, current_version
from sync.server.migrate import upgrade
from sync.server.run import ThreadedServer

from .sync_fixtures import *  # noqa: F403


def _prepared_on_the_only_connection(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


def test_reads_keep_the_connections_prepared_statements(pg_databases):
    """psycopg prepares a statement on its fifth run on a connection and forgets them all at a
    ROLLBACK: reads (every pull) must end with COMMIT for their statements ever to be prepared."""
    db = Database(pg_databases.new(), pool_size=1)
    try:
        upgrade(db)
        for _ in range(8):
            with db.reader() as s:
                assert current_version(s) >= 0
        assert _prepared_on_the_only_connection(db) >= 1
    finally:
        db.dispose()


def test_a_server_opens_a_connection_for_each_request_thread_before_it_serves(pg_databases):
    url = pg_databases.new()
    name = url.rsplit("/", 1)[1]
    srv = ThreadedServer(url).start()
    try:
        threads = srv.app.state.settings.server_threads
        admin = Database(url, pool_size=1)
        try:
            with admin.engine.connect() as conn:
                opened = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                    {"d": name}).scalar_one()
        finally:
            admin.dispose()
        assert opened >= threads
    finally:
        srv.stop()
