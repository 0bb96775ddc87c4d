"""The API's error answers, `{"error": code, "detail": text}` plus the extras some codes carry,
and how each failure becomes one.

Services raise their own exceptions (push's Gap, Forbidden and Rejected; conflicts' NotFound)
and know nothing of HTTP; the handlers below give each its status, so routers need no
try/except.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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
                               (Gap, _gap),
                               (Forbidden, _forbidden), (Rejected, _rejected),
                               (NotFound, _not_found)]:
        app.add_exception_handler(exc_class, handler)
