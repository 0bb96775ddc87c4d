"""The central server's FastAPI application.

`create_app(settings)` migrates the database (Alembic), seeds the reference data once, and serves:

- `POST /v1/push`, `POST /v1/pull`: the sync protocol (`sync.protocol`), for terminals;
- `GET /v1/cases`, `GET /v1/cases/{id}`: cases on the server (any role);
- `GET /v1/conflicts`, `POST /v1/conflicts/{id}/resolve`, `GET /v1/terminals`,
  `GET /v1/mutations`: for shift leads and admins;
- `/open311/v2/...`: Open311 GeoReport v2, read-only and public;
- `/docs`, `/openapi.json`.

No state that matters lives in the process: run as many as you like on one PostgreSQL.
"""


import json
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select, update
from sqlmodel import col

from models.domain.timeutil import now
from models.reference.catalogue import read_catalogue
from models.store.tables import Case, CaseEvent, Department
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    CaseWire,
    ConflictWire,
    EventWire,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

from . import migrate, open311
from .auth import ANY, AuthError, User, authenticate
from .db import Database, bump_clock, log_changes
from .pull import pull
from .push import Forbidden, Gap, Rejected, push
from .settings import ServerSettings
from .tables import client, conflict, mutation


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: str = "", *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or error)
        self.status, self.error, self.detail = status, error, detail
        self.headers, self.extra = headers or {}, extra


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, by header and while streaming."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(send)
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send) -> None:
        body = json.dumps({"error": "too_large",
                           "detail": f"request body over {self.limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _json(model) -> Response:
    """Serialise a (already validated) wire model once, in Rust, skipping a second validation."""
    return Response(model.model_dump_json(), media_type="application/json")


def seed_reference(db: Database) -> int:
    """Load the default catalogue once (under the clock's lock, so two servers starting at once
    seed it once); returns how many rows were added."""
    departments, categories = read_catalogue()
    with db.writer() as s:
        bump_clock(s)
        if s.execute(select(Department).limit(1)).first() is not None:
            s.rollback()
            return 0
        for row in [*departments, *categories]:
            s.merge(row)
        s.flush()
        log_changes(s, [("department", d.code) for d in departments]
                    + [("category", c.code) for c in categories])
        s.commit()
    return len(departments) + len(categories)


def create_app(settings: ServerSettings | Database | str, *, min_protocol: int | None = None,
               max_body: int | None = None, run_migrations: bool = True) -> FastAPI:
    """The app for these settings. A Database or a database URL instead stands for the default
    settings on it (what tests use); `min_protocol` and `max_body` override the settings."""
    settings, db = _settings_and_database(settings, min_protocol=min_protocol, max_body=max_body)
    min_protocol = settings.min_protocol
    if run_migrations:
        migrate.upgrade(db)
        seed_reference(db)

    threads = settings.server_threads

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(title="Hotline central server", version="1", lifespan=lifespan,
                  description="Sync protocol for hotline terminals, case API and Open311 GeoReport v2.")
    app.state.db = db
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.error, "detail": exc.detail, **exc.extra},
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return JSONResponse({"error": "invalid_request", "detail": detail,
                             "errors": json.loads(json.dumps(errors[:20], default=str))},
                            status_code=422)

    def role(*allowed: str):
        def check(authorization: Annotated[str, Header()] = "") -> User:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise ApiError(401, "unauthorized", "a bearer token is required",
                               headers={"WWW-Authenticate": "Bearer"})
            try:
                user = authenticate(db, token.strip())
            except AuthError as exc:
                raise ApiError(401, "unauthorized", str(exc),
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
            if user.role not in allowed:
                raise ApiError(403, "forbidden",
                               f"role {user.role!r} may not do this (needs {' or '.join(allowed)})")
            return user
        return check

    def protocol(x_hotline_protocol: Annotated[int | None, Header()] = None) -> int:
        version = x_hotline_protocol or 0
        if version < min_protocol:
            raise ApiError(426, "client_too_old",
                           f"this server needs sync protocol {min_protocol} or newer; "
                           f"the terminal speaks {version}: upgrade hotline",
                           min_protocol=min_protocol)
        return version

    Agent = Annotated[User, Depends(role(*ANY))]
    Lead = Annotated[User, Depends(role("lead", "admin"))]

    @app.get("/healthz", tags=["server"], summary="Liveness (no auth)")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "protocol": PROTOCOL_VERSION, "min_protocol": min_protocol}

    @app.get("/v1/me", tags=["server"])
    def me(user: Agent) -> dict[str, str]:
        return {"id": user.id, "role": user.role}

    @app.post("/v1/push", response_model=PushResponse, tags=["sync"],
              summary="Apply a terminal's ordered batch of mutations, exactly once",
              responses={409: {"description": "sequence gap"}, 426: {"description": "client too old"}})
    def push_endpoint(req: PushRequest, user: Agent,
                      version: Annotated[int, Depends(protocol)]) -> Response:
        try:
            return _json(push(db, user, req, version))
        except Gap as exc:
            raise ApiError(409, "sequence_gap", str(exc), expected_seq=exc.expected) from None
        except Forbidden as exc:
            raise ApiError(403, "forbidden", str(exc)) from None
        except Rejected as exc:
            raise ApiError(422, "invalid_batch", str(exc)) from None

    @app.post("/v1/pull", response_model=PullResponse, tags=["sync"],
              summary="Changes since the cursor, in commit order")
    def pull_endpoint(req: PullRequest, user: Agent,
                      version: Annotated[int, Depends(protocol)]) -> Response:
        try:
            return _json(pull(db, user, req))
        except Forbidden as exc:
            raise ApiError(403, "forbidden", str(exc)) from None

    @app.get("/v1/cases", response_model=list[CaseWire], tags=["cases"],
             summary="Cases on the server, newest first")
    def list_cases(user: Agent, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                   status: str | None = None) -> list[Case]:
        q = select(Case).order_by(col(Case.created_at).desc(), col(Case.id)).limit(limit).offset(offset)
        if status:
            q = q.where(col(Case.status) == status)
        with db.reader() as s:
            return list(s.execute(q).scalars())

    @app.get("/v1/cases/{case_id}", tags=["cases"], summary="One case (by id or number) with its timeline")
    def get_case(case_id: str, user: Agent) -> dict[str, Any]:
        with db.reader() as s:
            case = s.execute(select(Case).where((col(Case.id) == case_id)
                                                | (col(Case.case_no) == case_id))).scalars().first()
            if case is None:
                raise ApiError(404, "not_found", f"no case {case_id}")
            events = s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                               .order_by(col(CaseEvent.at), col(CaseEvent.id))).scalars()
            return {"case": CaseWire.model_validate(case, from_attributes=True),
                    "events": [EventWire.model_validate(e, from_attributes=True) for e in events]}

    @app.get("/v1/conflicts", response_model=list[ConflictWire], tags=["leads"],
             summary="Field conflicts from concurrent edits")
    def list_conflicts(user: Lead, resolved: bool = False) -> list[ConflictWire]:
        with db.reader() as s:
            rows = s.execute(select(conflict).where(conflict.c.resolved == resolved)
                             .order_by(conflict.c.created_at)).all()
        return [ConflictWire(**r._mapping) for r in rows]

    @app.post("/v1/conflicts/{conflict_id}/resolve", response_model=ConflictWire, tags=["leads"],
              summary="Settle a conflict: the field takes `value`")
    def resolve_conflict(conflict_id: str, user: Lead,
                         value: Annotated[Any, Body(embed=True)]) -> ConflictWire:
        with db.writer() as s:
            row = s.execute(select(conflict).where(conflict.c.id == conflict_id)).first()
            if row is None:
                raise ApiError(404, "not_found", f"no conflict {conflict_id}")
            case = s.get(Case, row.case_id)
            if case is None:
                raise ApiError(404, "not_found", f"no case {row.case_id}")
            setattr(case, row.field, value)
            case.version += 1
            case.updated_at = now()
            s.add(case)
            s.execute(update(conflict).where(conflict.c.id == conflict_id).values(
                resolved=True, resolution=value, resolved_by=user.id))
            s.flush()
            log_changes(s, [("case", case.id), ("conflict", conflict_id)])
            s.commit()
            row = s.execute(select(conflict).where(conflict.c.id == conflict_id)).first()
        return ConflictWire(**row._mapping)

    @app.get("/v1/terminals", tags=["leads"], summary="Every terminal's last sync and queue depth")
    def terminals(user: Lead) -> list[dict[str, Any]]:
        with db.reader() as s:
            return [dict(r._mapping) for r in s.execute(select(client).order_by(client.c.user_id))]

    @app.get("/v1/mutations", tags=["leads"], summary="Mutations as recorded (rejections by default)")
    def mutations(user: Lead, outcome: str = "rejected", client_id: str | None = None,
                  limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
        q = select(mutation).where(mutation.c.outcome == outcome)
        if client_id:
            q = q.where(mutation.c.client_id == client_id)
        with db.reader() as s:
            return [dict(r._mapping) for r in s.execute(
                q.order_by(mutation.c.received_at.desc()).limit(limit))]

    app.include_router(open311.router(db))
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
    return settings, db or Database(settings.db)


__all__ = ["create_app", "PROTOCOL_HEADER"]
