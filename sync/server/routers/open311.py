"""Open311 GeoReport v2, read-only and public (`sync.server.open311` does the work); the
server's settings say whether it is served at all (`open311`) and what it publishes
(`open311_descriptions`, `open311_addresses`, `open311_location_decimals`).

Errors here keep the spec's own shape, a list of `{"code", "description"}`, not the rest of
the API's ErrorBody: GeoReport clients expect it. `GeoReportRoute` renders them for every route
of this router, the status code staying the HTTP one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, RootModel

from sync.protocol import ID_PATTERN, WireTime

from .. import open311
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
