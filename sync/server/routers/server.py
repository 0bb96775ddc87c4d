"""The server itself: liveness (no auth) and who the token belongs to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sync.protocol import PROTOCOL_VERSION

from ..deps import Agent, Settings
from ..errors import error_responses

router = APIRouter(tags=["server"])


@router.get("/healthz", summary="Liveness (no auth)")
def healthz(settings: Settings) -> dict[str, Any]:
    return {"ok": True, "protocol": PROTOCOL_VERSION, "min_protocol": settings.min_protocol}


@router.get("/v1/me", summary="The user the bearer token belongs to",
            responses=error_responses(401, 403, 422))
def me(user: Agent) -> dict[str, str]:
    return {"id": user.id, "role": user.role}
