"""For shift leads and admins: field conflicts (and settling them), terminals' last sync and
queue depth, the mutations the server recorded (rejections by default), the audit log of
who read which cases, and the review computed over every terminal's cases (`/v1/leads/...`:
queues, the department scoreboard over a period, hot spots and their cases; reads of cases
are audited)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request

from sync.protocol import ID_PATTERN, MAX_OFFSET, AuditEntry, CaseWire, ConflictWire, WireTime

from .. import audit, conflicts, leads
from ..deps import DB, Lead
from ..errors import ApiError, error_responses
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



QueueKey = Annotated[str, Path(max_length=32, pattern=r"^[a-z_]+$",
                               description="a queue's key, as `/v1/leads/queues` lists them")]
Text = Annotated[str, Query(max_length=500, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get("/leads/queues", summary="The work queues with their counts (every terminal's cases)")
def lead_queues(user: Lead, db: DB) -> list[dict[str, Any]]:
    return leads.queues(db)


@router.get("/leads/queues/{key}", response_model=list[CaseWire], responses=error_responses(404),
            summary="One queue's cases, in the queue's order")
def lead_queue(request: Request, key: QueueKey, user: Lead, db: DB,
               limit: int = Query(200, ge=1, le=1000)) -> list[CaseWire]:
    try:
        found = leads.queue(db, key, limit=limit)
    except leads.UnknownQueue:
        raise ApiError(404, "not_found", f"no queue {key!r} (queues: {', '.join(leads.QUEUES)})") from None
    audit.record(db, user, "leads.queue", address=_address(request),
                 case_ids=[c.id for c in found], detail={"queue": key})
    return found


@router.get("/leads/scoreboard", summary="Department scoreboard over a period: completion, "
            "on-time, return and satisfaction rates (worst first)")
def lead_scoreboard(user: Lead, db: DB,
                    period: Literal["today", "7d", "30d", "custom"] = "30d",
                    start: Annotated[WireTime | None, Query(description="custom: from")] = None,
                    end: Annotated[WireTime | None, Query(description="custom: until (default now)")] = None,
                    ) -> dict[str, Any]:
    try:
        return leads.scoreboard(db, period, start, end)
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None


@router.get("/leads/hotspots", summary="Hot spots: one kind of problem reported again and again "
            "at one place")
def lead_hotspots(user: Lead, db: DB, days: int = Query(30, ge=1, le=366),
                  minimum: int = Query(3, ge=2, le=1000),
                  limit: int = Query(20, ge=1, le=200)) -> list[dict[str, Any]]:
    return leads.hot_spots(db, days=days, minimum=minimum, limit=limit)


@router.get("/leads/hotspots/cases", response_model=list[CaseWire],
            summary="A hot spot's cases (category and address as `/v1/leads/hotspots` gave them)")
def lead_hotspot_cases(request: Request, user: Lead, db: DB, category: Text, address: Text,
                       days: int = Query(30, ge=1, le=366),
                       limit: int = Query(200, ge=1, le=1000)) -> list[CaseWire]:
    found = leads.hot_spot_cases(db, category, address, days=days, limit=limit)
    audit.record(db, user, "leads.hotspot", address=_address(request),
                 case_ids=[c.id for c in found], detail={"category": category, "address": address})
    return found
