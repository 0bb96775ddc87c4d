"""The audit log: who read or exported which cases, and when a terminal's sequence jumped.

Recorded:
- `cases.list`: a page of `GET /v1/cases` (the ids listed, and the query in `detail`);
- `cases.read`: `GET /v1/cases/{id}` (the one case);
- `pull`: a pull that sent a terminal cases of other users (their ids; the cursor window in
  `detail`). A pull of only the terminal's own cases, the usual one, writes nothing;
- `sync.seq_jump`: a push whose `resume_from` skipped sequence numbers the server expected (the
  server's database was restored from a backup), in the push's own transaction.

A read is recorded before its answer is sent; if the record cannot be written, the read fails
(503), so no read goes unrecorded. Shift leads and admins read the log with `GET /v1/audit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, insert, select
from sqlmodel import Session

from models.domain.timeutil import now
from sync.protocol import AuditEntry

from .auth import User
from .db import Database
from .tables import audit


def _row(user: User, action: str, *, client_id: str, address: str, case_ids: Iterable[str],
         detail: dict[str, Any] | None) -> dict[str, Any]:
    ids = list(case_ids)
    return {"at": now(), "user_id": user.id, "role": user.role, "action": action,
            "address": address[:64], "client_id": client_id[:64], "case_count": len(ids),
            "case_ids": ids, "detail": detail or {}}


def record_in(session: Session, user: User, action: str, *, client_id: str = "",
              address: str = "", case_ids: Iterable[str] = (),
              detail: dict[str, Any] | None = None) -> None:
    """Record inside the caller's transaction."""
    session.execute(insert(audit).values(**_row(user, action, client_id=client_id,
                                                address=address, case_ids=case_ids,
                                                detail=detail)))


def record(db: Database, user: User, action: str, *, client_id: str = "", address: str = "",
           case_ids: Iterable[str] = (), detail: dict[str, Any] | None = None) -> None:
    """Record in a transaction of its own (after a read)."""
    with db.write_engine.begin() as conn:
        conn.execute(insert(audit).values(**_row(user, action, client_id=client_id,
                                                 address=address, case_ids=case_ids,
                                                 detail=detail)))


def entries(db: Database, *, user_id: str | None = None, action: str | None = None,
            case_id: str | None = None, since: datetime | None = None, limit: int = 200,
            offset: int = 0) -> list[AuditEntry]:
    """The log, newest first, filtered by who, what, which case and from when."""
    q = select(audit)
    if user_id:
        q = q.where(audit.c.user_id == user_id)
    if action:
        q = q.where(audit.c.action == action)
    if case_id:  # the ids are a JSON list: its text holds the quoted id
        q = q.where(cast(audit.c.case_ids, String).contains(f'"{case_id}"', autoescape=True))
    if since:
        q = q.where(audit.c.at >= since)
    q = q.order_by(audit.c.id.desc()).limit(limit).offset(offset)
    with db.reader() as s:
        return [AuditEntry(**r._mapping) for r in s.execute(q)]
