"""Cases on the server, for any signed-in user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from models.store.tables import Case
from sync.protocol import CaseWire

from .. import cases
from ..deps import DB, Agent
from ..errors import ApiError, error_responses

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=error_responses(401, 403, 422))


@router.get("", response_model=list[CaseWire], summary="Cases on the server, newest first")
def list_cases(user: Agent, db: DB, limit: int = Query(100, ge=1, le=1000),
               offset: int = Query(0, ge=0), status: str | None = None) -> list[Case]:
    return cases.list_cases(db, limit=limit, offset=offset, status=status)


@router.get("/{case_id}", summary="One case (by id or number) with its timeline",
            responses=error_responses(404))
def get_case(case_id: str, user: Agent, db: DB) -> dict[str, Any]:
    found = cases.case_with_timeline(db, case_id)
    if found is None:
        raise ApiError(404, "not_found", f"no case {case_id}")
    case, events = found
    return {"case": case, "events": events}
