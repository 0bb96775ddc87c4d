"""What a shift lead reviews, computed by the server over every terminal's cases: the work
queues, the department scoreboard over a period and the hot spots (`routers/leads.py`).

The rules are `models.cases.lead_review`'s, the same the terminal's F6 uses on its replica:
the server's `case` and `caseevent` tables are the terminal's (`models.store.tables`), so the
functions run on a Session over the server's database unchanged. Only the queues a terminal
alone has (its own unsynced outbox) are left out; the terminals' sync health is `/v1/terminals`.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from models.cases import lead_review
from models.domain.timeutil import local_zone, now
from models.store.tables import Case
from sync.protocol import CaseWire

from . import reminders
from .db import Database

QUEUES: tuple[str, ...] = tuple(k for k in lead_review.QUEUES if k not in lead_review.TERMINAL_ONLY)
PERIODS = ("today", "7d", "30d", "custom")
MAX_DAYS = 366


class UnknownQueue(KeyError):
    pass


def queues(db: Database, at: datetime | None = None) -> list[dict[str, Any]]:
    """Every queue with its count, in the order a lead works through them."""
    at = at or now()
    reminders.maybe_remind(db)
    with db.reader() as s:
        counts = lead_review.queue_counts(s, at, QUEUES)
    return [{"key": k, "label_en": lead_review.queue_label(k, "en"),
             "label_zh": lead_review.queue_label(k, "zh"), "count": counts[k]} for k in QUEUES]


def queue(db: Database, key: str, *, limit: int = 200, at: datetime | None = None) -> list[CaseWire]:
    """The cases of one queue, in the queue's order."""
    if key not in QUEUES:
        raise UnknownQueue(key)
    with db.reader() as s:
        return [CaseWire.model_validate(c, from_attributes=True)
                for c in lead_review.queue_cases(s, key, at or now(), limit=limit)]


def period_days(period: str, start: datetime | None, end: datetime | None,
                at: datetime) -> tuple[datetime, int]:
    """(the end of the period, its length in days) for a named or custom period."""
    if period == "today":
        midnight = at.astimezone(local_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
        return at, max(1, math.ceil((at - midnight).total_seconds() / 86400))
    if period == "7d":
        return at, 7
    if period == "30d":
        return at, 30
    if start is None:
        raise ValueError("start: a custom period needs start (and optionally end)")
    end = min(end or at, at)
    if start >= end:
        raise ValueError("start: the period must start before it ends")
    return end, min(MAX_DAYS, max(1, math.ceil((end - start) / timedelta(days=1))))


def scoreboard(db: Database, period: str = "30d", start: datetime | None = None,
               end: datetime | None = None) -> dict[str, Any]:
    """Per department over the period: assigned, resolved, returned, overdue, satisfaction,
    and the rates; the departments a lead must chase first."""
    upto, days = period_days(period, start, end, now())
    with db.reader() as s:
        rows = lead_review.scoreboard(s, upto, days=days)
    return {"period": period, "since": upto - timedelta(days=days), "until": upto, "departments": [
        {**asdict(r), "completion_rate": r.completion_rate, "return_rate": r.return_rate,
         "satisfaction_rate": r.satisfaction_rate} for r in rows]}


def hot_spots(db: Database, days: int = 30, minimum: int = 3, limit: int = 20) -> list[dict[str, Any]]:
    """Places where one kind of problem keeps being reported (the street lights)."""
    with db.reader() as s:
        return [asdict(h) for h in lead_review.hot_spots(s, now(), days=days, minimum=minimum,
                                                        limit=limit)]


def hot_spot_cases(db: Database, category: str, address: str, days: int = 30,
                   limit: int = 200) -> list[CaseWire]:
    """A hot spot's cases (its drill-down), newest first."""
    since = now() - timedelta(days=days)
    q = (select(Case).where(Case.category == category, Case.address == address,
                            col(Case.created_at) >= since)
         .order_by(col(Case.created_at).desc()).limit(limit))
    with db.reader() as s:
        return [CaseWire.model_validate(c, from_attributes=True) for c in s.execute(q).scalars()]
