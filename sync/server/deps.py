"""What endpoints depend on, in one place: the settings and the database (from `app.state`, put
there by `create_app`), the user behind the bearer token, role checks and the sync protocol
check. Module-level functions, so a test can replace any of them with
`app.dependency_overrides[deps.current_user] = lambda: User("boss", "lead")`.

The token itself is checked before the request's body is read, by the ASGI gate
(`sync.server.gate`), which leaves the user in the request's scope; `current_user` reads it
from there (and declares the bearer scheme in the OpenAPI document). Routers use the
`Annotated` aliases (`DB`, `Agent`, `Lead`, `Protocol`, ...). Checks that do no I/O are
`async def`: they run on the event loop instead of costing a trip through the request thread
pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.protocol import MAX_PROTOCOL

from .auth import ROLES, STAFF, User
from .db import Database
from .errors import ApiError
from .settings import ServerSettings

LEAD_ROLES = ("lead", "admin")
USER_KEY = "hotline.user"  # where the gate leaves the signed-in user, in the request's scope

bearer = HTTPBearer(auto_error=False, description=(
    "An API token (`hotline user add` / `hotline user token`). Checked before the body is "
    "read; failures are logged and, past a limit per client address, answered 429."))


async def settings(request: Request) -> ServerSettings:
    return request.app.state.settings


async def database(request: Request) -> Database:
    return request.app.state.db


Settings = Annotated[ServerSettings, Depends(settings)]
DB = Annotated[Database, Depends(database)]


async def current_user(request: Request, _credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> User:
    """The user whose token is in `Authorization: Bearer <token>`, as the gate found it; 401
    without one (the gate answers first for every /v1 request)."""
    user = request.scope.get(USER_KEY)
    if user is None:
        raise ApiError(401, "unauthorized", "a bearer token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def _require(user: User, allowed: tuple[str, ...]) -> User:
    if user.role not in allowed:
        raise ApiError(403, "forbidden",
                       f"role {user.role!r} may not do this (needs {' or '.join(allowed)})")
    return user


async def any_role(user: CurrentUser) -> User:
    """One of the hotline's people (agent, lead or admin): terminals and the case API. A
    department's token is refused here; it has its own API (`/v1/department`)."""
    return _require(user, STAFF)


async def signed_in(user: CurrentUser) -> User:
    """Any signed-in user with a known role, a department's included."""
    return _require(user, ROLES)


async def department_role(user: CurrentUser) -> User:
    """A department's user, bound to one department (its token sees only that one's cases)."""
    if user.role != "department" or not user.department:
        raise ApiError(403, "forbidden", f"role {user.role!r} may not do this (needs a "
                       "department's token: `hotline user add NAME --role department "
                       "--department CODE`)")
    return user


async def lead_role(user: CurrentUser) -> User:
    """A shift lead or an admin."""
    return _require(user, LEAD_ROLES)


Agent = Annotated[User, Depends(any_role)]
Lead = Annotated[User, Depends(lead_role)]
AnyUser = Annotated[User, Depends(signed_in)]
DepartmentUser = Annotated[User, Depends(department_role)]


async def protocol_version(settings: Settings, x_hotline_protocol: Annotated[
        int | None, Header(ge=0, le=MAX_PROTOCOL)] = None) -> int:
    """The terminal's sync protocol (`X-Hotline-Protocol`); 426 below the server's minimum."""
    version = x_hotline_protocol or 0
    if version < settings.min_protocol:
        raise ApiError(426, "client_too_old",
                       f"this server needs sync protocol {settings.min_protocol} or newer; "
                       f"the terminal speaks {version}: upgrade hotline",
                       min_protocol=settings.min_protocol)
    return version


Protocol = Annotated[int, Depends(protocol_version)]
