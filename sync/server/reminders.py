"""Reminders (催办): a case a department holds (dispatched or in progress) whose deadline has
passed gets a `reminded` event on its timeline on the next working day, and one on each
working day after while it stays overdue (the calendar of `models.domain.deadlines`).

Idempotent across runs and server processes: the reminder of a case for a day has one id
(derived from the case and the date), inserted with ON CONFLICT DO NOTHING, so two processes
(or two runs) add one reminder per case per day. Each is the lifecycle's `remind` step taken by
the system (`rules.check` with the SYSTEM actor, `step_event` for its data), logged for the
terminals' pull; the department sees it in its open orders.

Run by `remind_due` on a department's or a shift lead's request and on pulls (at most once a
minute per process, `maybe_remind`), and by `hotline server --remind`.
"""

from __future__ import annotations

import threading
import time as clock
import uuid
from datetime import date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from models.domain.deadlines import WorkdayRule, chinese_workday
from models.domain.lifecycle import OPEN_WORK, Action, CaseState, Step, step_event
from models.domain.messages import ValidationFailed
from models.domain.timeutil import local_zone, now
from models.store.tables import Case, CaseEvent

from . import rules
from .db import Database, log_changes

CHUNK = 2000
EVERY_S = 60.0  # maybe_remind: at most once a minute per process and database
_NAMESPACE = uuid.UUID("6f1c2a52-5d43-4c8e-9a55-5e0c1d7a0f11")
_last: dict[str, float] = {}
_lock = threading.Lock()


def reminder_id(case_id: str, day: date) -> str:
    """The one id of a case's reminder for a day."""
    return uuid.uuid5(_NAMESPACE, f"{case_id}/{day.isoformat()}").hex


def maybe_remind(db: Database) -> int:
    """`remind_due`, unless this process ran it on this database within the last minute."""
    with _lock:
        last = _last.get(db.url, 0.0)
        if clock.monotonic() - last < EVERY_S:
            return 0
        _last[db.url] = clock.monotonic()
    return remind_due(db)


def remind_due(db: Database, at: datetime | None = None,
               is_workday: WorkdayRule = chinese_workday) -> int:
    """Add today's reminders; returns how many were added (0 on a day off, or when another run
    added them)."""
    at = at or now()
    today = at.astimezone(local_zone()).date()
    if not is_workday(today):
        return 0
    start = datetime.combine(today, time(0, 0), tzinfo=local_zone())
    added = 0
    after = ""
    while True:
        with db.writer() as s:
            cases = list(s.execute(
                select(Case).where(col(Case.status).in_([x.value for x in OPEN_WORK]),
                                   col(Case.due_at) < start, col(Case.id) > after)
                .order_by(col(Case.id)).limit(CHUNK)).scalars())
            if not cases:
                return added
            after = cases[-1].id
            rows = []
            for case in cases:
                try:
                    checked = rules.check(rules.SYSTEM, case, Step(Action.REMIND))
                except ValidationFailed:
                    continue
                kind, data = step_event(CaseState.of(case), rules.SYSTEM, checked)
                rows.append({"id": reminder_id(case.id, today), "case_id": case.id, "kind": str(kind),
                             "at": at, "agent": rules.SYSTEM.user, "note": "", "data": data})
            have = set(s.execute(select(CaseEvent.id).where(
                col(CaseEvent.id).in_([r["id"] for r in rows]))).scalars())
            rows = [r for r in rows if r["id"] not in have]  # a run today already added these
            if not rows:
                s.rollback()
                continue
            ins = (pg_insert if db.is_pg else sqlite_insert)(CaseEvent.__table__)
            # Another process may be adding the same ones right now: the id decides, once.
            new = [r[0] for r in s.execute(ins.on_conflict_do_nothing(index_elements=["id"])
                                           .returning(CaseEvent.__table__.c.id), rows)]
            if not new:
                s.rollback()
                continue
            by_id = {r["id"]: r["case_id"] for r in rows}
            case_ids = [by_id[i] for i in new]
            s.execute(update(Case.__table__).where(Case.__table__.c.id.in_(case_ids))
                      .values(version=Case.__table__.c.version + 1, updated_at=at))
            log_changes(s, [("case", c) for c in case_ids] + [("event", i) for i in new])
            s.commit()
            added += len(new)

