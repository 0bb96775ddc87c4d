"""What shift leads see of the terminals: each one's last sync and queue depth (as it reported
on its last push), and the mutations the server recorded for them (rejections by default)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .db import Database
from .tables import client, mutation


def list_terminals(db: Database) -> list[dict[str, Any]]:
    with db.reader() as s:
        return [dict(r._mapping) for r in s.execute(select(client).order_by(client.c.user_id))]


def list_mutations(db: Database, *, outcome: str = "rejected", client_id: str | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
    """Recorded mutations with this outcome, newest first."""
    q = select(mutation).where(mutation.c.outcome == outcome)
    if client_id:
        q = q.where(mutation.c.client_id == client_id)
    with db.reader() as s:
        return [dict(r._mapping) for r in s.execute(
            q.order_by(mutation.c.received_at.desc()).limit(limit))]
