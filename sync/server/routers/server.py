"""The server itself: health (no auth; it checks the database) and who the token belongs to."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sync.protocol import PROTOCOL_VERSION, Health

from ..db import is_unavailable
from ..deps import DB, AnyUser, Settings
from ..errors import RETRY_AFTER_S, error_responses
from ..jsonbody import WireRoute

router = APIRouter(tags=["server"], route_class=WireRoute)
HEALTH_TIMEOUT_S = 5.0


@router.get("/healthz", response_model=Health, summary="Health: the server and its database (no auth)",
            responses={503: {"model": Health, "description": "The database is not answering"}})
async def healthz(request: Request, settings: Settings, db: DB) -> JSONResponse:
    """200 when the database answers a query, 503 (with Retry-After) when it does not: a load
    balancer should send no terminal to a server that cannot reach its database. The check runs
    on threads of its own with a deadline, so it answers even when a frozen database holds
    every request thread."""
    app_state = request.app.state
    if getattr(app_state, "health_limiter", None) is None:
        app_state.health_limiter = anyio.CapacityLimiter(2)
    try:
        with anyio.fail_after(min(db.timeout_s, HEALTH_TIMEOUT_S)):
            await anyio.to_thread.run_sync(db.ping, limiter=app_state.health_limiter,
                                           abandon_on_cancel=True)
        answer, status = "ok", 200
    except TimeoutError:
        answer, status = "unavailable: no answer in time", 503
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        answer, status = f"unavailable: {type(exc).__name__}", 503
    body = Health(ok=status == 200, database=answer, protocol=PROTOCOL_VERSION,
                  min_protocol=settings.min_protocol)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


@router.get("/v1/me", summary="The user the bearer token belongs to",
            responses=error_responses(401, 403, 422, 429, 503))
def me(user: AnyUser) -> dict[str, str]:
    who = {"id": user.id, "role": user.role}
    return who | ({"department": user.department} if user.department else {})
