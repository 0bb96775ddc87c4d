"""For shift leads and admins: field conflicts (and settling them), terminals' last sync and
queue depth, the mutations the server recorded (rejections by default), and the audit log of
who read which cases."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query

from sync.protocol import ID_PATTERN, MAX_OFFSET, AuditEntry, ConflictWire, WireTime

from .. import audit, conflicts
from ..deps import DB, Lead
from ..errors import error_responses
from ..jsonbody import WireRoute
from ..terminals import list_mutations, list_terminals

router = APIRouter(prefix="/v1", tags=["leads"], route_class=WireRoute,
                   responses=error_responses(401, 403, 422, 429, 503))

Identifier = Annotated[str, Path(max_length=64, pattern=ID_PATTERN)]
Filter = Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)]

# Endpoint function names are the OpenAPI operation ids (and so generated clients' method
# names): keep them.


@router.get("/conflicts", response_model=list[ConflictWire],
            summary="Field conflicts from concurrent edits")
def list_conflicts(user: Lead, db: DB, resolved: bool = False) -> list[ConflictWire]:
    return conflicts.list_conflicts(db, resolved=resolved)


@router.post("/conflicts/{conflict_id}/resolve", response_model=ConflictWire,
             summary="Settle a conflict: the field takes `value` (checked as a field edit)",
             responses=error_responses(404, 413))
def resolve_conflict(conflict_id: Identifier, user: Lead, db: DB,
                     value: Annotated[Any, Body(embed=True)]) -> ConflictWire:
    return conflicts.resolve_conflict(db, conflict_id, value, user)


@router.get("/terminals", summary="Every terminal's last sync and queue depth")
def terminals(user: Lead, db: DB) -> list[dict[str, Any]]:
    return list_terminals(db)


@router.get("/mutations", summary="Mutations as recorded (rejections by default)")
def mutations(user: Lead, db: DB,
              outcome: Literal["applied", "rejected", "conflict"] = "rejected",
              client_id: Filter = None,
              limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
    return list_mutations(db, outcome=outcome, client_id=client_id, limit=limit)


@router.get("/audit", response_model=list[AuditEntry],
            summary="Who read or exported which cases, and terminals' sequence jumps (newest first)")
def audit_log(user: Lead, db: DB, user_id: Filter = None,
              action: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_.]*$")] = None,
              case_id: Filter = None,
              since: Annotated[WireTime | None, Query()] = None,
              limit: int = Query(200, ge=1, le=1000),
              offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[AuditEntry]:
    return audit.entries(db, user_id=user_id, action=action, case_id=case_id,
                         since=since, limit=limit, offset=offset)

