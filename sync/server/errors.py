"""The API's one error shape, `sync.protocol.ErrorBody` (`{"error": code, "detail": text}` plus
the extras some codes carry), how each failure becomes one, and how routes declare it in the
OpenAPI document (`error_responses`), so the document promises what the server answers.

Services raise their own exceptions (push's Gap, Forbidden and Rejected; conflicts' NotFound)
and know nothing of HTTP; the handlers below give each its status, so routers need no
try/except. Open311 answers in its spec's own shape instead (`routers/open311.py`).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sync.protocol import ErrorBody

from .conflicts import NotFound
from .push import Forbidden, Gap, Rejected


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
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    return error_response(422, "invalid_request", detail,
                          errors=json.loads(json.dumps(errors[:20], default=str)))


async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own refusals (no such route, method not allowed), in our shape."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


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
                               (NotFound, _not_found)]:
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
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations for these error statuses, all answered with ErrorBody. Declaring
    422 also keeps FastAPI from adding its default (HTTPValidationError), which we never send."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}
