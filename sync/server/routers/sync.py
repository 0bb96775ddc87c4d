"""The sync protocol for terminals (`sync.protocol`): push a batch of mutations, pull changes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from sync.protocol import PullRequest, PullResponse, PushRequest, PushResponse

from ..deps import DB, Agent, Protocol
from ..errors import error_responses
from ..jsonbody import WireRoute
from ..pull import pull
from ..push import push

router = APIRouter(prefix="/v1", tags=["sync"], route_class=WireRoute,
                   responses=error_responses(401, 403, 413, 422, 426, 429, 503))


def _wire_json(model: BaseModel) -> Response:
    """Serialise an (already validated) wire model once, in Rust, skipping a second validation."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/push", response_model=PushResponse,
             summary="Apply a terminal's ordered batch of mutations, exactly once",
             responses=error_responses(409))
def push_endpoint(req: PushRequest, user: Agent, version: Protocol, db: DB) -> Response:
    return _wire_json(push(db, user, req, version))


@router.post("/pull", response_model=PullResponse, summary="Changes since the cursor, in commit order")
def pull_endpoint(request: Request, req: PullRequest, user: Agent, version: Protocol,
                  db: DB) -> Response:
    address = request.client.host if request.client else ""
    return _wire_json(pull(db, user, req, address))
