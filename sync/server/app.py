"""The central server's FastAPI application.

`create_app(settings)` migrates the database (Alembic), seeds the reference data once, and mounts
one router per resource (`routers/`):

- `server`: `GET /healthz` (no auth; checks the database), `GET /v1/me`;
- `sync`: `POST /v1/push`, `POST /v1/pull`, the sync protocol (`sync.protocol`), for terminals;
- `cases`: `GET /v1/cases`, `GET /v1/cases/{id}`, cases on the server (any role, audited);
- `leads`: `GET /v1/conflicts`, `POST /v1/conflicts/{id}/resolve`, `GET /v1/terminals`,
  `GET /v1/mutations`, `GET /v1/audit`, for shift leads and admins;
- `departments`: `/v1/department/orders...`, a department's open orders and its steps
  (accept, return, progress, resolve, extend), for a department's token only;
- `kb`: `/v1/kb/...`, the knowledge base kept by shift leads and admins (articles: save,
  publish, withdraw, import; quick phrases), pulled by terminals;
- `open311`: `/open311/v2/...`, Open311 GeoReport v2, read-only and public (what it publishes
  is a setting);
- `/docs`, `/openapi.json`.

In front of them the gate (`gate.Gate`): the body limit (413) and the bearer token of every
`/v1/` request, checked before the body is read (401, 429 after too many failures).

No state that matters lives in the process: run as many as you like on one PostgreSQL.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from models.domain.region import set_region as set_phone_region
from sync.protocol import PROTOCOL_HEADER

from . import migrate
from .auth import Throttle
from .db import Database
from .errors import install_error_handlers
from .gate import Gate
from .kb import seed_phrases
from .reference import seed_reference
from .routers import cases, departments, kb, leads, open311, server, sync
from .settings import ServerSettings

ROUTERS = (server.router, sync.router, cases.router, leads.router, departments.router, kb.router,
           open311.router)


def create_app(settings: ServerSettings | Database | str, *, min_protocol: int | None = None,
               max_body: int | None = None, run_migrations: bool = True) -> FastAPI:
    """The app for these settings. A Database or a database URL instead stands for the default
    settings on it (what tests use); `min_protocol` and `max_body` override the settings."""
    settings, db = _settings_and_database(settings, min_protocol=min_protocol, max_body=max_body)
    set_phone_region(settings.region)  # (this process's: one server, one city)
    if run_migrations:
        migrate.upgrade(db)
        seed_reference(db)
        seed_phrases(db)
    app = FastAPI(title="Hotline central server", version="1", lifespan=_lifespan,
                  description="Sync protocol for hotline terminals, case API and Open311 GeoReport v2.")
    app.state.settings, app.state.db = settings, db  # read by sync.server.deps
    app.add_middleware(Gate, limit=settings.max_body_bytes, db=db,
                       throttle=Throttle(settings.auth_max_failures, settings.auth_window_s))
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _settings_and_database(given: ServerSettings | Database | str,
                           **overrides: int | None) -> tuple[ServerSettings, Database]:
    db = given if isinstance(given, Database) else None
    if isinstance(given, ServerSettings):
        settings = given
    else:
        settings = ServerSettings(db=db.url if db else given)
    names = {"min_protocol": "min_protocol", "max_body": "max_body_bytes"}
    changes = {names[k]: v for k, v in overrides.items() if v is not None}
    if changes:
        settings = ServerSettings(**(settings.model_dump() | changes))
    if not settings.db and db is None:
        raise ValueError("no database: give settings.db (HOTLINE_DB, --db) a URL or a path")
    return settings, db or Database(settings.db, timeout_s=settings.db_timeout_s,
                                    connect_timeout_s=settings.db_connect_timeout_s)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    threads = app.state.settings.server_threads
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads
    await anyio.to_thread.run_sync(app.state.db.warm, threads)  # a connection for each thread
    yield


__all__ = ["create_app", "ROUTERS", "PROTOCOL_HEADER"]
