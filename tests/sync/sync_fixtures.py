"""Fixtures for the sync tests (`from .sync_fixtures import *`): `db_url` runs a test on SQLite and on the real PostgreSQL
(a fresh database per test, all dropped at the end of the session), `server` is a real uvicorn
server in a thread on a free localhost port, `tokens` makes users."""

from __future__ import annotations

import pytest

from .sync_support import PgDatabases, new_store, pg_reachable

__all__ = ["pg_databases", "db_url", "server", "make_user", "terminal"]


@pytest.fixture(scope="session")
def pg_databases():
    reason = pg_reachable()
    if reason:
        pytest.skip(reason)
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    return request.getfixturevalue("pg_databases").new()


@pytest.fixture
def server(db_url):
    from sync.server.run import ThreadedServer

    srv = ThreadedServer(db_url).start()
    yield srv
    srv.stop()


@pytest.fixture
def make_user(db_url):
    from sync.server.auth import add_user

    from .sync_support import server_db

    def make(user_id: str, role: str = "agent", **kw) -> str:
        from sync.server.migrate import upgrade

        db = server_db(db_url)
        try:
            upgrade(db)
            return add_user(db, user_id, role, **kw)
        finally:
            db.dispose()

    return make


@pytest.fixture
def terminal(tmp_path):
    made = []

    def make(name: str = "t1", prefix: str | None = None):
        store = new_store(tmp_path / name, prefix or name.upper())
        made.append(store)
        return store

    yield make
    for s in made:
        s.close()
