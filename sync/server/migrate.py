"""Schema migrations for the server's database (Alembic, configured in code so that it works from
an installed package: no alembic.ini, the scripts live in `sync/server/migrations`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from .db import Database

SCRIPTS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x5E12345  # PostgreSQL advisory lock: two servers starting at once migrate in turn


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current(db: Database) -> str:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


def upgrade(db: Database, revision: str = "head") -> tuple[str, str]:
    """Bring the schema to `revision`; returns (from, to)."""
    cfg = _config()
    with db.write_engine.begin() as conn:
        if db.is_pg:
            conn.execute(text("SET LOCAL statement_timeout = 0"))  # a migration may be long
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        before = MigrationContext.configure(conn).get_current_revision() or ""
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        after = MigrationContext.configure(conn).get_current_revision() or ""
    return before, after
