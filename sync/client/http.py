"""The server's sync API over httpx, with failures sorted into what the sender should do:

- `Offline` (network error, timeout, 5xx, 429): retry later, honouring `retry_after`;
- `AuthFailed` (401): get a fresh token, else stop and tell the agent;
- `TooOld` (426): stop and show "upgrade hotline";
- `SequenceGap` (409) and `Refused` (other 4xx): stop and show the reason.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from pydantic import BaseModel

from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

from .backoff import parse_retry_after


class SyncError(Exception):
    status = "error"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Offline(SyncError):
    status = "offline"


class AuthFailed(SyncError):
    status = "auth"


class TooOld(SyncError):
    status = "too_old"


class SequenceGap(SyncError):
    status = "error"

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected


class Refused(SyncError):
    status = "error"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or body)[:300]
    return str(body)[:300]


class ServerApi:
    def __init__(self, base_url: str, token: Callable[[], str], *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.client = httpx.Client(base_url=self.base_url, transport=transport,
                                   timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                                   headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION),
                                            "User-Agent": f"hotline-terminal/{PROTOCOL_VERSION}"})

    def close(self) -> None:
        self.client.close()

    def _post(self, path: str, body: BaseModel) -> dict:
        return self.send("POST", path, body)

    def send(self, method: str, path: str, body: BaseModel | None = None) -> dict:
        """One request with a JSON body (or none), failures sorted as for push and pull."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.client.request(
                method, path, headers=headers,
                content=body.model_dump_json().encode() if body is not None else None)
        except httpx.TimeoutException as exc:
            raise Offline(f"timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise Offline(f"network: {type(exc).__name__}: {exc}") from exc
        return self._check(response)

    def _check(self, response: httpx.Response) -> dict:
        code = response.status_code
        if code == 429 or code >= 500:
            raise Offline(f"server answered {code}: {_detail(response)}",
                          retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if code == 401:
            raise AuthFailed(f"401: {_detail(response)}")
        if code == 426:
            raise TooOld(_detail(response))
        if code == 409:
            try:
                expected = int(response.json().get("expected_seq", 0))
            except (ValueError, AttributeError):
                expected = 0
            raise SequenceGap(f"409: {_detail(response)}", expected)
        if code >= 400:
            raise Refused(f"{code}: {_detail(response)}")
        try:
            return response.json()
        except ValueError as exc:
            raise Offline(f"unreadable answer ({code})") from exc

    def push(self, request: PushRequest) -> PushResponse:
        return PushResponse.model_validate(self._post("/v1/push", request))

    def pull(self, request: PullRequest) -> PullResponse:
        return PullResponse.model_validate(self._post("/v1/pull", request))

    def get(self, path: str, **params) -> object:
        try:
            response = self.client.get(path, params=params,
                                       headers={"Authorization": f"Bearer {self.token()}"})
        except httpx.TimeoutException as exc:
            raise Offline(f"timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise Offline(f"network: {type(exc).__name__}: {exc}") from exc
        return self._check(response)
