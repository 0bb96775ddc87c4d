"""What endpoints depend on, in one place: the settings and the database (from `app.state`, put
there by `create_app`), the user behind the bearer token, role checks and the sync protocol
check. Module-level functions, so a test can replace any of them with
`app.dependency_overrides[deps.current_user] = lambda: User("boss", "lead")`.

Routers use the `Annotated` aliases (`DB`, `Agent`, `Lead`, `Protocol`, ...). Checks that do no
I/O are `async def`: they run on the event loop instead of costing a trip through the request
thread pool; `current_user` reads the database, so it is a plain `def` (run in that pool).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from .auth import ROLES, AuthError, User, authenticate
from .db import Database
from .errors import ApiError
from .settings import ServerSettings

LEAD_ROLES = ("lead", "admin")


async def settings(request: Request) -> ServerSettings:
    return request.app.state.settings


async def database(request: Request) -> Database:
    return request.app.state.db


Settings = Annotated[ServerSettings, Depends(settings)]
DB = Annotated[Database, Depends(database)]


def current_user(db: DB, authorization: Annotated[str, Header()] = "") -> User:
    """The user whose token is in `Authorization: Bearer <token>`; 401 without a valid one."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "a bearer token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    try:
        return authenticate(db, token.strip())
    except AuthError as exc:
        raise ApiError(401, "unauthorized", str(exc),
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


CurrentUser = Annotated[User, Depends(current_user)]


def _require(user: User, allowed: tuple[str, ...]) -> User:
    if user.role not in allowed:
        raise ApiError(403, "forbidden",
                       f"role {user.role!r} may not do this (needs {' or '.join(allowed)})")
    return user


async def any_role(user: CurrentUser) -> User:
    """A signed-in user with a known role (agent, lead or admin)."""
    return _require(user, ROLES)


async def lead_role(user: CurrentUser) -> User:
    """A shift lead or an admin."""
    return _require(user, LEAD_ROLES)


Agent = Annotated[User, Depends(any_role)]
Lead = Annotated[User, Depends(lead_role)]


async def protocol_version(settings: Settings,
                           x_hotline_protocol: Annotated[int | None, Header()] = None) -> int:
    """The terminal's sync protocol (`X-Hotline-Protocol`); 426 below the server's minimum."""
    version = x_hotline_protocol or 0
    if version < settings.min_protocol:
        raise ApiError(426, "client_too_old",
                       f"this server needs sync protocol {settings.min_protocol} or newer; "
                       f"the terminal speaks {version}: upgrade hotline",
                       min_protocol=settings.min_protocol)
    return version


Protocol = Annotated[int, Depends(protocol_version)]
