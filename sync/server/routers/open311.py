"""Open311 GeoReport v2, read-only and public (`sync.server.open311` does the work)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from .. import open311
from ..deps import DB

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])


@router.get("/services.json", summary="Service types (our categories)")
def services(db: DB) -> list[dict[str, Any]]:
    return open311.services(db)


@router.get("/requests.json", summary="Service requests (our cases), newest first")
def requests(db: DB, service_request_id: str | None = None, service_code: str | None = None,
             start_date: datetime | None = None, end_date: datetime | None = None,
             status: str | None = Query(None, pattern="^(open|closed)$")) -> list[dict[str, Any]]:
    return open311.find_requests(db, service_request_id=service_request_id,
                                 service_code=service_code, start_date=start_date,
                                 end_date=end_date, status=status)


@router.get("/requests/{request_id}.json", summary="One service request")
def request(request_id: str, db: DB) -> list[dict[str, Any]]:
    found = open311.find_request(db, request_id)
    if found is None:
        raise HTTPException(404, f"no request {request_id}")
    return [found]
