"""The ASGI gate in front of the app: a request's size and its bearer token are checked before
its body is read.

- A body over the limit is refused with 413 by its Content-Length, before a byte of it is read,
  and, for a body without one (chunked), as soon as it streams past the limit.
- Every request under `/v1/` must carry a valid bearer token. The token is checked (and a
  failure logged and counted per client address, `auth.sign_in`) from the headers alone: an
  unauthenticated request is answered 401 (or 429 once its address has failed too often)
  without its body ever being received, so unauthenticated uploads cost no memory.
- An accepted body is read whole (up to the limit) and handed to the app, which reads the user
  the gate found from the request (`deps.current_user`).

Answers are the API's error shape (`sync.protocol.ErrorBody`), written here by hand: this runs
before FastAPI. A test that replaces `deps.current_user` (`app.dependency_overrides`) skips the
token check: the replacement is the user.
"""

from __future__ import annotations

import json
import logging

import anyio.to_thread

from . import deps
from .auth import AuthError, Throttle, Throttled, sign_in
from .db import Database, is_unavailable

PROTECTED = "/v1/"
RETRY_AFTER_S = 5  # when the database is away

log = logging.getLogger("hotline.server")


class Gate:
    def __init__(self, app, *, limit: int, db: Database, throttle: Throttle) -> None:
        self.app, self.limit, self.db, self.throttle = app, limit, db, throttle

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.limit:
            return await self._too_large(send)
        if scope["path"].startswith(PROTECTED) and not _overridden(scope):
            refusal = await self._authenticate(scope, headers.get(b"authorization", b""))
            if refusal is not None:
                return await answer(send, *refusal)
        if (length is not None and length.strip() not in (b"", b"0")) \
                or b"transfer-encoding" in headers:
            body = await self._read(receive)
            if body is None:
                return await self._too_large(send)
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _authenticate(self, scope, header: bytes):
        """None when the token is good (the user is left in the scope), else the refusal."""
        scheme, _, token = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return 401, "unauthorized", "a bearer token is required", {"WWW-Authenticate": "Bearer"}
        client = scope.get("client")
        address = client[0] if client else "unknown"
        try:
            user = await anyio.to_thread.run_sync(sign_in, self.db, token.strip(), address,
                                                  self.throttle)
        except Throttled as exc:
            return 429, "too_many_failures", str(exc), {"Retry-After": str(exc.retry_after)}
        except AuthError as exc:
            return 401, "unauthorized", str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("database unavailable while signing in: %s", type(exc).__name__)
            return (503, "unavailable", "the database is not answering; try again shortly",
                    {"Retry-After": str(RETRY_AFTER_S)})
        scope[deps.USER_KEY] = user
        return None

    async def _read(self, receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit."""
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: the app sees an empty body and nobody reads it
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, send) -> None:
        await answer(send, 413, "too_large", f"request body over {self.limit} bytes",
                     {"Connection": "close"})


def _overridden(scope) -> bool:
    app = scope.get("app")
    return app is not None and deps.current_user in getattr(app, "dependency_overrides", {})


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def answer(send, status: int, error: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
    """An ErrorBody answer, straight onto the ASGI connection."""
    body = json.dumps({"error": error, "detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
