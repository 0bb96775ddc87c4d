"""The API's one error shape, `sync.protocol.ErrorBody` (`{"error": code, "detail": text}` plus
the extras some codes carry), how each failure becomes one, and how routes declare it in the
OpenAPI document (`error_responses`), so the document promises what the server answers.

Services raise their own exceptions (push's Gap, Forbidden and Rejected; conflicts' NotFound)
and know nothing of HTTP; the handlers below give each its status, so routers need no
try/except. Open311 answers in its spec's own shape instead (`routers/open311.py`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from models.domain.messages import ValidationFailed
from sync.protocol import ErrorBody

from .conflicts import NotFound
from .db import is_unavailable
from .push import Forbidden, Gap, Rejected

log = logging.getLogger("hotline.server")
RETRY_AFTER_S = 5  # what a 503 asks the client to wait


class ApiError(Exception):
    """Raised by endpoints and dependencies: answered as an ErrorBody with this status."""

    def __init__(self, status: int, error: str, detail: str = "", *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or error)
        self.status, self.error, self.detail = status, error, detail
        self.headers, self.extra = headers or {}, extra


def error_response(status: int, error: str, detail: str = "", *,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **extra}, status_code=status,
                        headers=headers)


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.error, exc.detail, headers=exc.headers, **exc.extra)


async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    detail = "; ".join(_sentence(e) for e in errors[:5])
    return error_response(422, "invalid_request", detail,
                          errors=json.loads(json.dumps(errors[:20], default=_safe)))


def _sentence(e: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in e["loc"])
    why = (e.get("ctx") or {}).get("error") if e.get("type") == "json_invalid" else None
    return f"{where}: {e['msg']}" + (f" ({why})" if why else "")


def _safe(value: Any) -> str:
    """How a value pydantic names in an error is echoed: as text, short, and valid Unicode."""
    return str(value)[:200].encode("utf-8", "replace").decode("utf-8")


async def _invalid_value(_request: Request, exc: ValidationFailed) -> JSONResponse:
    """A value the domain's rules refuse (`models.domain.validation`), naming its field."""
    errors = [{"type": p.code, "loc": ["body", p.field], "msg": p.message("en")}
              for p in exc.problems]
    return error_response(422, "invalid_request", "; ".join(f"{e['loc'][1]}: {e['msg']}"
                                                            for e in errors), errors=errors)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database is away, refused, timed out or was cancelled: 503, try again later."""
    log.warning("database unavailable on %s %s: %s: %s", request.method, request.url.path,
                type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
    return error_response(503, "unavailable", "the database is not answering; try again shortly",
                          headers={"Retry-After": str(RETRY_AFTER_S)})


async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    if is_unavailable(exc):
        return await _unavailable(request, exc)
    return await _internal(request, exc)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug: the traceback goes to the server's log, the client gets a sentence."""
    if is_unavailable(exc):
        return await _unavailable(request, exc)
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", "the server failed on this request (a bug, logged "
                                           "on the server); it was not completed")


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own refusals (no such route, method not allowed), in our shape. A 405's
    `Allow` lists every method of the path (Starlette names only its first matching route's)."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return error_response(exc.status_code, code, str(exc.detail), headers=headers or None)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document gives the request's path (compiled once per app)."""
    import re

    app = request.app
    table = getattr(app.state, "allowed_methods", None)
    if table is None:
        table = []
        for template, operations in app.openapi().get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
            table.append((pattern, sorted(m.upper() for m in operations if m.isalpha())))
        app.state.allowed_methods = table
    path = request.url.path
    return sorted({m for pattern, methods in table if pattern.match(path) for m in methods})


async def _gap(_request: Request, exc: Gap) -> JSONResponse:
    return error_response(409, "sequence_gap", str(exc), expected_seq=exc.expected)


async def _forbidden(_request: Request, exc: Forbidden) -> JSONResponse:
    return error_response(403, "forbidden", str(exc))


async def _rejected(_request: Request, exc: Rejected) -> JSONResponse:
    return error_response(422, "invalid_batch", str(exc))


async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
    return error_response(404, "not_found", str(exc))


def install_error_handlers(app: FastAPI) -> None:
    for exc_class, handler in [(ApiError, _api_error), (RequestValidationError, _invalid_request),
                               (HTTPException, _http_error), (Gap, _gap),
                               (Forbidden, _forbidden), (Rejected, _rejected),
                               (NotFound, _not_found), (ValidationFailed, _invalid_value),
                               (OperationalError, _unavailable), (PoolTimeout, _unavailable),
                               (DisconnectionError, _unavailable), (DBAPIError, _database_error),
                               (Exception, _internal)]:
        app.add_exception_handler(exc_class, handler)


_MEANING = {
    401: "No valid bearer token (`unauthorized`)",
    403: "The user's role may not do this, or the terminal is bound to another user (`forbidden`)",
    404: "No such resource (`not_found`)",
    409: "The batch starts after a gap: `expected_seq` is the number to resend from (`sequence_gap`)",
    413: "Request body over the server's limit (`too_large`)",
    422: "The request is malformed (`invalid_request`, with `errors`) or the batch is "
         "inconsistent (`invalid_batch`)",
    426: "The terminal's sync protocol is older than `min_protocol` (`client_too_old`)",
    429: "Too many failed sign-ins from this address: wait `Retry-After` seconds "
         "(`too_many_failures`)",
    503: "The database is not answering: try again after `Retry-After` seconds (`unavailable`)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations for these error statuses, all answered with ErrorBody. Declaring
    422 also keeps FastAPI from adding its default (HTTPValidationError), which we never send."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}
