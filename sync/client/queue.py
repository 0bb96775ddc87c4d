"""The local outbox, seen from the sender: what waits, what the server said about it.

Rows are written by `models.store.outbox` in the saving transaction. Here they are read in order and
settled only on the server's word: "applied" (or a duplicate of an applied one) deletes the row
and marks a created case synced; "rejected"/"conflict" keeps the row, marked, with the reason,
and the rows behind it go on. A failed request settles nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text

from models.domain.mutations import Mutations
from models.domain.timeutil import from_db_text, now, to_db_text
from models.store import Store
from models.store.outbox import CONFLICT, PENDING, REJECTED, Outbox
from sync.protocol import Ack, Mutation, MutationResult

# Keys in the store's meta table (the token is not one: see `credentials`).
SERVER, CURSOR = "sync.server", "sync.cursor"
LAST_ERROR, LAST_ERROR_AT, LAST_OK_AT = "sync.last_error", "sync.last_error_at", "sync.last_ok_at"
HORIZON = "sync.horizon_days"
# What the server said of this terminal's token (`GET /v1/me`): its role and, for a department, which.
ROLE, DEPARTMENT = "sync.role", "sync.department"


@dataclass
class QueueInfo:
    pending: int
    rejected: int
    conflicts: int
    oldest_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    last_ok_at: datetime | None
    server: str

    @property
    def oldest_age(self) -> float | None:
        return (now() - self.oldest_at).total_seconds() if self.oldest_at else None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("oldest_at", "last_error_at", "last_ok_at"):
            d[k] = d[k].isoformat() if d[k] else None
        d["oldest_age_seconds"] = round(self.oldest_age, 1) if self.oldest_at else None
        return d


def _time(value: str) -> datetime | None:
    return from_db_text(value) if value else None


def info(store: Store) -> QueueInfo:
    with store.session() as s:
        counts = dict(s.execute(text("SELECT state, count(*) FROM outbox GROUP BY state")).all())
        oldest = s.execute(text("SELECT min(created_at) FROM outbox WHERE state = 'pending'")).scalar()
        meta = dict(s.execute(text("SELECT key, value FROM meta WHERE key LIKE 'sync.%'")).all())
    return QueueInfo(
        pending=counts.get(PENDING, 0), rejected=counts.get(REJECTED, 0),
        conflicts=counts.get(CONFLICT, 0), oldest_at=_time(oldest or ""),
        last_error=meta.get(LAST_ERROR, ""), last_error_at=_time(meta.get(LAST_ERROR_AT, "")),
        last_ok_at=_time(meta.get(LAST_OK_AT, "")), server=meta.get(SERVER, ""))


def pending_count(store: Store) -> int:
    """How many rows wait to be sent (`waiting_after`'s count, from the first row on)."""
    return waiting_after(store)[0]


def items(store: Store, limit: int = 200, states: tuple[str, ...] = (PENDING, REJECTED, CONFLICT)
          ) -> list[Outbox]:
    """What waits (oldest first), for the queue screen and `hotline queue --list`."""
    from sqlmodel import col, select

    with store.session() as s:
        return list(s.exec(select(Outbox).where(col(Outbox.state).in_(states))
                           .order_by(col(Outbox.seq)).limit(limit)).all())


def waiting_after(store: Store, after: int = 0) -> tuple[int, datetime | None]:
    """How many rows wait to be sent after seq `after`, and since when (the oldest one)."""
    with store.session() as s:
        count, oldest = s.execute(text(
            "SELECT count(*), min(created_at) FROM outbox WHERE state = 'pending' AND seq > :a"),
            {"a": after}).one()
    return count, _time(oldest or "")


def next_batch(store: Store, limit: int, after: int = 0) -> list[Mutation]:
    """The oldest pending rows after seq `after`, at most `limit`, in order."""
    with store.session() as s:
        rows = s.execute(text(
            "SELECT seq, name, case_id, payload, created_at FROM outbox WHERE state = 'pending' "
            "AND seq > :a ORDER BY seq LIMIT :n"), {"n": limit, "a": after}).all()
    # Rows this terminal wrote itself, sent as they are: not validated again here (the server
    # validates everything it receives); orjson reads our own JSON, all of it within its range.
    return [Mutation.model_construct(seq=r.seq, name=r.name, case_id=r.case_id,
                                     payload=orjson.loads(r.payload), at=from_db_text(r.created_at))
            for r in rows]


def _settle(s, settled: list[tuple[int, str, str]]) -> None:
    """(seq, outcome, reason) → delete applied rows (marking created cases synced), mark others."""
    applied = [seq for seq, outcome, _ in settled if outcome == "applied"]
    marked = [(outcome, reason, seq) for seq, outcome, reason in settled
              if outcome in (REJECTED, CONFLICT)]
    if applied:
        # The seqs as one JSON array parameter: binding hundreds of named parameters took
        # longer than running the statements.
        seqs = {"seqs": json.dumps(applied)}
        s.execute(text(
            f"UPDATE \"case\" SET sync_state = 'synced' WHERE sync_state = 'local' AND id IN "
            f"(SELECT case_id FROM outbox WHERE name = '{Mutations.CASE_CREATE}' AND seq IN "
            "(SELECT value FROM json_each(:seqs)))"), seqs)
        s.execute(text("DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(:seqs))"), seqs)
    for outcome, reason, seq in marked:
        s.execute(text("UPDATE outbox SET state = :o, reason = :r WHERE seq = :s"),
                  {"o": outcome, "r": reason, "s": seq})


def apply_results(store: Store, results: list[MutationResult]) -> None:
    settled = []
    for r in results:
        outcome = (r.original or "applied") if r.outcome == "duplicate" else r.outcome
        settled.append((r.seq, outcome, r.reason))
    with store.writer() as s:
        _settle(s, settled)
        s.commit()


def settle_acked(s, last_seq: int, acks: list[Ack], acks_to: int) -> None:
    """From a pull: every pending row up to the server's last seq is done; `acks` names the
    ones that were not applied."""
    upto = min(last_seq, acks_to)
    if upto <= 0:
        return
    by_seq = {a.seq: a for a in acks}
    seqs = s.execute(text("SELECT seq FROM outbox WHERE state = 'pending' AND seq <= :u"),
                     {"u": upto}).scalars().all()
    settled = []
    for seq in seqs:
        ack = by_seq.get(seq)
        settled.append((seq, ack.outcome, ack.reason) if ack else (seq, "applied", ""))
    _settle(s, settled)


def set_error(store: Store, message: str) -> None:
    with store.writer() as s:
        for k, v in ((LAST_ERROR, message[:500]), (LAST_ERROR_AT, to_db_text(now()))):
            s.execute(text("INSERT OR REPLACE INTO meta (key, value) VALUES (:k, :v)"), {"k": k, "v": v})
        s.commit()


def set_ok(store: Store) -> None:
    with store.writer() as s:
        for k, v in ((LAST_ERROR, ""), (LAST_OK_AT, to_db_text(now()))):
            s.execute(text("INSERT OR REPLACE INTO meta (key, value) VALUES (:k, :v)"), {"k": k, "v": v})
        s.commit()


def dismiss(store: Store, seq: int) -> bool:
    """The agent has read a rejection or conflict: drop the row (never a pending one)."""
    with store.writer() as s:
        n = s.execute(text("DELETE FROM outbox WHERE seq = :s AND state != 'pending'"),
                      {"s": seq}).rowcount
        s.commit()
    return bool(n)
