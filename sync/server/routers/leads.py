"""For shift leads and admins: field conflicts (and settling them), terminals' last sync and
queue depth, and the mutations the server recorded (rejections by default)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from sync.protocol import ConflictWire

from .. import conflicts
from ..deps import DB, Lead
from ..errors import error_responses
from ..terminals import list_mutations, list_terminals

router = APIRouter(prefix="/v1", tags=["leads"], responses=error_responses(401, 403, 422))

# Endpoint function names are the OpenAPI operation ids (and so generated clients' method
# names): keep them.


@router.get("/conflicts", response_model=list[ConflictWire],
            summary="Field conflicts from concurrent edits")
def list_conflicts(user: Lead, db: DB, resolved: bool = False) -> list[ConflictWire]:
    return conflicts.list_conflicts(db, resolved=resolved)


@router.post("/conflicts/{conflict_id}/resolve", response_model=ConflictWire,
             summary="Settle a conflict: the field takes `value`",
             responses=error_responses(404, 413))
def resolve_conflict(conflict_id: str, user: Lead, db: DB,
                     value: Annotated[Any, Body(embed=True)]) -> ConflictWire:
    return conflicts.resolve_conflict(db, conflict_id, value, user)


@router.get("/terminals", summary="Every terminal's last sync and queue depth")
def terminals(user: Lead, db: DB) -> list[dict[str, Any]]:
    return list_terminals(db)


@router.get("/mutations", summary="Mutations as recorded (rejections by default)")
def mutations(user: Lead, db: DB, outcome: str = "rejected", client_id: str | None = None,
              limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
    return list_mutations(db, outcome=outcome, client_id=client_id, limit=limit)
