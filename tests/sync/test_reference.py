"""Reference data on the server: a newer release's catalogue aliases reach a database seeded by
an older one, and the terminals that pull from it (on SQLite and on the real PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import text

from models.store.tables import Category, Department
from sync.client.engine import SyncEngine
from sync.server.reference import seed_reference
from sync.server.run import ThreadedServer

from .sync_fixtures import *  # noqa: F403
from .sync_support import server_db

OLD = ("自来水", "no heat")  # callers' words a later release added to heating_water


def test_a_server_merges_a_newer_releases_aliases_and_terminals_pull_them(db_url, make_user,
                                                                          terminal):
    token = make_user("agent-1")  # (migrates the database)
    db = server_db(db_url)
    try:
        assert seed_reference(db) > 0  # a new database: the whole catalogue, once
        with db.writer() as s:  # as the older release left it, and a lead's rename
            cat = s.get(Category, "heating_water")
            cat.aliases = [a for a in cat.aliases if a not in OLD]
            s.get(Department, "street_light_office").name_zh = "城区路灯所"
            s.commit()
    finally:
        db.dispose()
    store = terminal("t1")
    with store.writer() as s:  # the terminal, of the older release too (its mark is current)
        cat = s.get(Category, "heating_water")
        cat.aliases = [a for a in cat.aliases if a not in OLD]
        s.add(cat)
        s.commit()
    srv = ThreadedServer(db_url).start()  # the newer server: its start merges the aliases
    try:
        engine = SyncEngine(store, srv.url, token)
        try:
            engine.sync_once()
        finally:
            engine.close()
    finally:
        srv.stop()
    with store.writer() as s:
        aliases = s.get(Category, "heating_water").aliases
        assert all(a in aliases for a in OLD) and "停水" in aliases
        assert len(aliases) == len(set(aliases))
        assert s.get(Department, "street_light_office").name_zh == "城区路灯所"
    db = server_db(db_url)
    try:  # another start has nothing to merge and logs nothing
        with db.engine.connect() as conn:
            logged = conn.execute(text("SELECT count(*) FROM changelog")).scalar_one()
        assert seed_reference(db) == 0
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM changelog")).scalar_one() == logged
    finally:
        db.dispose()
