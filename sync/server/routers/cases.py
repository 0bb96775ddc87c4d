"""Cases on the server, for any signed-in user; every read is recorded in the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from models.store.tables import Case
from sync.protocol import ID_PATTERN, MAX_OFFSET, CaseWire

from .. import audit, cases
from ..deps import DB, Agent
from ..errors import ApiError, error_responses
from ..jsonbody import WireRoute

router = APIRouter(prefix="/v1/cases", tags=["cases"], route_class=WireRoute,
                   responses=error_responses(401, 403, 422, 429, 503))


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get("", response_model=list[CaseWire], summary="Cases on the server, newest first")
def list_cases(request: Request, user: Agent, db: DB, limit: int = Query(100, ge=1, le=1000),
               offset: int = Query(0, ge=0, le=MAX_OFFSET),
               status: str | None = Query(None, max_length=32, pattern=r"^[a-z_]*$")) -> list[Case]:
    found = cases.list_cases(db, limit=limit, offset=offset, status=status)
    audit.record(db, user, "cases.list", address=_address(request), case_ids=[c.id for c in found],
                 detail={"limit": limit, "offset": offset, "status": status})
    return found


@router.get("/{case_id}", summary="One case (by id or number) with its timeline",
            responses=error_responses(404))
def get_case(request: Request, user: Agent, db: DB,
             case_id: Annotated[str, Path(max_length=64, pattern=ID_PATTERN)]) -> dict[str, Any]:
    found = cases.case_with_timeline(db, case_id)
    if found is None:
        raise ApiError(404, "not_found", f"no case {case_id}")
    case, events = found
    audit.record(db, user, "cases.read", address=_address(request), case_ids=[case.id])
    return {"case": case, "events": events}
