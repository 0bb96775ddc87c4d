"""Open311 GeoReport v2 (`sync.server.open311` does the work); the server's settings say
whether it is served at all (`open311`) and what it publishes (`open311_descriptions`,
`open311_addresses`, `open311_location_decimals`). Reading is public; filing a request
(`POST requests.json`, form-encoded as the spec says) needs an `api_key`: the API token of a
user allowed to file (agent, lead or admin), checked and throttled like a bearer token.

Errors here keep the spec's own shape, a list of `{"code", "description"}`, not the rest of
the API's ErrorBody: GeoReport clients expect it. `GeoReportRoute` renders them for every route
of this router, the status code staying the HTTP one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qsl

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, RootModel

from models.domain.messages import ValidationFailed
from sync.protocol import ID_PATTERN, WireTime

from .. import open311
from ..auth import AuthError, Throttle, Throttled, sign_in
from ..deps import DB, Settings


class GeoReportError(BaseModel):
    code: int
    description: str


class GeoReportErrors(RootModel[list[GeoReportError]]):
    """GeoReport v2's error answer: one entry per problem."""


def _errors(status: int, descriptions: list[str]) -> JSONResponse:
    return JSONResponse([{"code": status, "description": d} for d in descriptions],
                        status_code=status)


class GeoReportRoute(APIRoute):
    """A route whose refusals are answered in GeoReport v2's error list."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _errors(422, [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                     for e in exc.errors()])
            except HTTPException as exc:
                return _errors(exc.status_code, [str(exc.detail)])
            except ValidationFailed as exc:
                return _errors(422, [f"{p.field}: {p.message('en')}" for p in exc.problems])

        return answer


def _declared(status: int, meaning: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": GeoReportErrors, "description": meaning}}


async def _served(settings: Settings) -> open311.Publish:
    """What the city publishes; 404 when Open311 is turned off."""
    if not settings.open311:
        raise HTTPException(404, "Open311 is not served here")
    return open311.Publish(descriptions=settings.open311_descriptions,
                           addresses=settings.open311_addresses,
                           location_decimals=settings.open311_location_decimals)


Published = Annotated[open311.Publish, Depends(_served)]
# Comma-separated lists of ids or codes: printable, bounded.
_LIST = r"^[^\x00-\x1f\x7f-\x9f]*$"

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"], route_class=GeoReportRoute,
                   responses=_declared(404, "Open311 is not served here, or no such request"))


@router.get("/services.json", summary="Service types (our categories)")
def services(db: DB, publish: Published) -> list[dict[str, Any]]:
    return open311.services(db)


@router.get("/requests.json", summary="Service requests (our cases), newest first",
            responses=_declared(422, "A query parameter is malformed"))
def requests(db: DB, publish: Published,
             service_request_id: Annotated[str | None, Query(max_length=2000, pattern=_LIST)] = None,
             service_code: Annotated[str | None, Query(max_length=2000, pattern=_LIST)] = None,
             start_date: Annotated[WireTime | None, Query()] = None,
             end_date: Annotated[WireTime | None, Query()] = None,
             status: str | None = Query(None, max_length=6, pattern="^(open|closed)$")) -> list[dict[str, Any]]:
    return open311.find_requests(db, service_request_id=service_request_id,
                                 service_code=service_code, start_date=start_date,
                                 end_date=end_date, status=status, publish=publish)


@router.get("/requests/{request_id}.json", summary="One service request",
            responses={**_declared(404, "No such request"), **_declared(422, "Malformed id")})
def request(request_id: Annotated[str, Path(max_length=64, pattern=ID_PATTERN)], db: DB,
            publish: Published) -> list[dict[str, Any]]:
    found = open311.find_request(db, request_id, publish)
    if found is None:
        raise HTTPException(404, f"no request {request_id}")
    return [found]


_FORM_FIELDS = {name: {"type": "string", "maxLength": 20000 if name == "description" else 500}
                for name in ("api_key", "service_code", "description", "address_string", "lat",
                             "long", "first_name", "last_name", "phone", "email", "department",
                             "jurisdiction_id", "address_id", "device_id", "account_id",
                             "media_url")}
_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
    "schema": {"type": "object", "required": ["api_key", "service_code"],
               "properties": _FORM_FIELDS}}}}}


class Filed(BaseModel):
    service_request_id: str | None
    token: str | None = None
    service_notice: str | None = None
    account_id: str | None = None


@router.post("/requests.json", summary="File a service request (a case, as if typed by an agent)",
             response_model=list[Filed], openapi_extra=_FORM,
             responses={**_declared(401, "No api_key, or not a valid token"),
                        **_declared(403, "The token's user may not file requests"),
                        **_declared(422, "A field is missing or malformed"),
                        **_declared(429, "Too many failed api_keys from this address")})
async def file_request(request: Request, db: DB, settings: Settings,
                       publish: Published) -> list[Filed]:
    raw = await request.body()
    try:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                              max_num_fields=100))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(422, f"body: not form-encoded UTF-8 text ({exc})"[:200]) from None
    too_long = [k for k, v in form.items() if len(v) > _FORM_FIELDS.get(k, {"maxLength": 500})["maxLength"]]
    if too_long:
        raise HTTPException(422, f"{too_long[0]}: too long")
    if any("\x00" in v for v in form.values()):
        raise HTTPException(422, f"{next(k for k, v in form.items() if chr(0) in v)}: holds a NUL")
    api_key = form.get("api_key", "").strip()
    if not api_key:
        raise HTTPException(401, "api_key: a token of a user allowed to file is required")
    address = request.client.host if request.client else "unknown"
    throttle = Throttle(settings.auth_max_failures, settings.auth_window_s)
    try:
        user = await anyio.to_thread.run_sync(sign_in, db, api_key, address, throttle)
    except Throttled as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except AuthError as exc:
        raise HTTPException(401, f"api_key: {exc}") from None
    if user.role not in open311.FILERS:
        raise HTTPException(403, f"api_key: role {user.role!r} may not file requests")
    filing = open311.Filing(**{k: form.get(k, "") for k in open311.Filing.__dataclass_fields__})
    answer = await anyio.to_thread.run_sync(open311.file_request, db, user, filing)
    return [Filed(**answer)]


@router.get("/tokens/{token}.json", summary="The request a filing's token stands for",
            responses={**_declared(404, "No such token"), **_declared(422, "Malformed token")})
def token(token: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]+$")], db: DB,
          publish: Published) -> list[dict[str, Any]]:
    found = open311.find_token(db, token)
    if found is None:
        raise HTTPException(404, f"no token {token}")
    return [found]
