"""Push: apply a terminal's ordered batch of mutations exactly once, in one transaction.

In that transaction: lock the terminal's `client` row (bound to its user on first push), answer
"duplicate" for sequence numbers already processed (with the first delivery's outcome; a known
number with different content is refused as a cloned store), refuse a gap (409, the seq it
expects), apply the rest in order, record each outcome in `mutation` (the dedup record, same
transaction as the effect), bump the clock and log the changes for pullers.

A mutation that fails validation is *rejected* with its reason and recorded: it never blocks
the ones behind it. Batches are applied optimistically; if the database refuses one (say, a
unique constraint), the batch is redone with a savepoint per mutation so only the culprit is
rejected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlmodel import Session, col

from models.cases import record_event_in
from models.domain.case_shape import EDITABLE_FIELDS
from models.domain.enums import EventKind
from models.domain.ids import new_id
from models.domain.messages import Problem, ValidationFailed
from models.domain.text import clean_text
from models.domain.timeutil import now
from models.domain.validation import check_field_value, check_record
from models.store.tables import Case, CaseEvent
from sync.protocol import (
    CaseCreatePayload,
    ConflictInfo,
    EventPayload,
    FieldsPayload,
    Mutation,
    MutationResult,
    Mutations,
    PushRequest,
    PushResponse,
)

from .auth import User
from .db import Database, current_version, log_changes
from .tables import client, conflict, mutation


class Gap(Exception):
    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"expected seq {expected}, got {got}")
        self.expected = expected


class Forbidden(Exception):
    pass


class Rejected(Exception):
    pass


def payload_hash(m: Mutation) -> str:
    blob = json.dumps({"name": m.name, "case_id": m.case_id, "payload": m.payload},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _lock_client(session: Session, db: Database, client_id: str, user: User, protocol: int):
    values = dict(client_id=client_id, user_id=user.id, last_seq=0, first_seen=now(),
                  queue_depth=0, protocol=protocol)
    # One round trip: insert the terminal's row if new, else take its row lock (the no-op
    # update locks it until commit), and read it back.
    ins = (pg_insert if db.is_pg else sqlite_insert)(client).values(**values)
    row = session.execute(ins.on_conflict_do_update(
        index_elements=["client_id"], set_={"client_id": ins.excluded.client_id})
        .returning(*client.c)).one()
    if row.user_id != user.id:
        raise Forbidden(f"terminal {client_id} is bound to another user")
    return row


@dataclass
class _Batch:
    session: Session
    user: User
    client_id: str
    cases: dict[str, Case] = field(default_factory=dict)  # ORM rows of existing cases
    created: set[str] = field(default_factory=set)  # created in this batch, maybe not yet inserted
    new_cases: list[dict] = field(default_factory=list)  # buffered inserts (Core: fast)
    new_events: list[dict] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)
    external_ids: set[str] = field(default_factory=set)
    changes: list[tuple[str, str]] = field(default_factory=list)


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "invalid payload: " + "; ".join(parts)


def _prefetch(b: _Batch, muts: list[Mutation]) -> None:
    ids = {m.case_id for m in muts if m.case_id}
    create_ext = [m.payload.get("case", {}).get("external_id") for m in muts
                  if m.name == Mutations.CASE_CREATE and isinstance(m.payload.get("case"), dict)]
    event_ids: list[str] = []
    for m in muts:
        if m.name == Mutations.CASE_CREATE:
            event_ids += [e.get("id") for e in m.payload.get("events", []) if isinstance(e, dict)]
        elif isinstance(m.payload.get("event"), dict):
            event_ids.append(m.payload["event"].get("id"))
    s = b.session
    if ids:
        for case in s.execute(select(Case).where(col(Case.id).in_(ids))).scalars():
            b.cases[case.id] = case
    ext = [e for e in create_ext if e]
    if ext:
        b.external_ids |= set(s.execute(select(Case.external_id).where(col(Case.external_id).in_(ext)))
                              .scalars())
    ev = [e for e in event_ids if isinstance(e, str)]
    if ev:
        b.event_ids |= set(s.execute(select(CaseEvent.id).where(col(CaseEvent.id).in_(ev))).scalars())


def _apply(b: _Batch, m: Mutation) -> tuple[str, list[ConflictInfo]]:
    """Apply one mutation; raises Rejected. Returns (outcome, conflicts)."""
    if m.name == Mutations.CASE_CREATE:
        return _create(b, m), []
    if m.name in (Mutations.CASE_NOTE, Mutations.CASE_EVENT):
        return _event(b, m), []
    if m.name == Mutations.CASE_FIELDS:
        return _fields(b, m)
    raise Rejected(f"unknown mutation {m.name!r} (this server knows {', '.join(Mutations.ALL)})")


def _create(b: _Batch, m: Mutation) -> str:
    try:
        p = CaseCreatePayload.model_validate(m.payload)
    except ValidationError as exc:
        raise Rejected(_reason(exc)) from None
    c = p.case
    if c.id != m.case_id:
        raise Rejected("case id in the payload differs from the mutation's case_id")
    problems = check_record(c.model_dump())
    if problems:
        raise Rejected(_problems(problems))
    if c.id in b.cases or c.id in b.created:
        raise Rejected(f"case {c.id} already exists")
    if c.external_id and c.external_id in b.external_ids:
        raise Rejected(f"a case with external id {c.external_id!r} already exists")
    for e in p.events:
        if e.case_id != c.id:
            raise Rejected(f"event {e.id} belongs to another case")
        if e.kind not in EventKind.values():
            raise Rejected(f"unknown event kind {e.kind!r}")
        if e.id in b.event_ids:
            raise Rejected(f"event {e.id} already exists")
    b.new_cases.append(c.model_dump() | {"sync_state": "synced"})
    b.created.add(c.id)
    if c.external_id:
        b.external_ids.add(c.external_id)
    b.changes.append(("case", c.id))
    for e in p.events:
        b.new_events.append(e.model_dump())
        b.event_ids.add(e.id)
        b.changes.append(("event", e.id))
    return "applied"


def _flush_new(b: _Batch) -> None:
    """Insert the buffered new cases and their events (one executemany each)."""
    if b.new_cases:
        b.session.execute(insert(Case.__table__), b.new_cases)
        b.new_cases = []
    if b.new_events:
        b.session.execute(insert(CaseEvent.__table__), b.new_events)
        b.new_events = []


def _case(b: _Batch, case_id: str) -> Case | None:
    case = b.cases.get(case_id)
    if case is None and case_id in b.created:
        _flush_new(b)
        case = b.session.get(Case, case_id)
        if case is not None:
            b.cases[case_id] = case
    return case


def _event(b: _Batch, m: Mutation) -> str:
    try:
        e = EventPayload.model_validate(m.payload).event
    except ValidationError as exc:
        raise Rejected(_reason(exc)) from None
    if e.kind not in EventKind.values():
        raise Rejected(f"unknown event kind {e.kind!r}")
    if (m.name == Mutations.CASE_NOTE) != (e.kind == EventKind.NOTE):
        raise Rejected(f"{m.name} cannot carry an event of kind {e.kind!r}")
    if e.kind == EventKind.NOTE and not clean_text(e.note):
        raise Rejected("a note needs text")
    case = _case(b, e.case_id)
    if case is None or e.case_id != m.case_id:
        raise Rejected(f"unknown case {e.case_id}")
    if e.id in b.event_ids:
        raise Rejected(f"event {e.id} already exists")
    record_event_in(b.session, case, EventKind(e.kind), e.agent, e.at, e.note, e.data,
                    event_id=e.id, queue=False)
    case.updated_at = max(case.updated_at, e.at)
    b.event_ids.add(e.id)
    b.changes += [("case", case.id), ("event", e.id)]
    return "applied"


def _problems(problems: list[Problem]) -> str:
    """A refusal's reason: each problem with the field it names, in English (the terminal shows
    the reason as the server gave it)."""
    return "; ".join(f"{p.field}: {p.message('en')}" for p in problems)


def _fields(b: _Batch, m: Mutation) -> tuple[str, list[ConflictInfo]]:
    try:
        p = FieldsPayload.model_validate(m.payload)
    except ValidationError as exc:
        raise Rejected(_reason(exc)) from None
    unknown = [f for f in p.fields if f not in EDITABLE_FIELDS]
    if unknown:
        raise Rejected(f"fields not editable: {', '.join(unknown)}")
    if not p.fields:
        raise Rejected("no fields to change")
    case = _case(b, m.case_id)
    if case is None:
        raise Rejected(f"unknown case {m.case_id}")
    try:
        new_values = {f: check_field_value(f, ch.new) for f, ch in p.fields.items()}
    except ValidationFailed as exc:
        raise Rejected(_problems(exc.problems)) from None
    conflicts: list[ConflictInfo] = []
    changed = False
    at = now()
    for name, change in p.fields.items():
        current = getattr(case, name)
        if current == change.old:  # three-way: the server still has what the terminal saw
            setattr(case, name, new_values[name])
            changed = True
        elif current == new_values[name]:
            continue  # both sides made the same change
        else:
            info = ConflictInfo(field=name, base=change.old, theirs=current, mine=new_values[name])
            conflicts.append(info)
            cid = new_id()
            b.session.execute(insert(conflict).values(
                id=cid, case_id=case.id, field=name, base=info.base, theirs=info.theirs,
                mine=info.mine, client_id=b.client_id, user_id=b.user.id, seq=m.seq,
                created_at=at, resolved=False, resolution=None, resolved_by=""))
            b.changes.append(("conflict", cid))
    if changed:
        case.version += 1
        case.updated_at = at
        b.session.add(case)
    b.changes.append(("case", case.id))
    return ("conflict" if conflicts else "applied"), conflicts


def push(db: Database, user: User, req: PushRequest, protocol: int) -> PushResponse:
    try:
        return _push(db, user, req, protocol, safe=False)
    except (Gap, Forbidden, Rejected, OperationalError):
        raise
    except Exception:  # a mutation the database (or a bug) refuses: find it, reject only it
        return _push(db, user, req, protocol, safe=True)


def _push(db: Database, user: User, req: PushRequest, protocol: int, *, safe: bool) -> PushResponse:
    muts = sorted(req.mutations, key=lambda m: m.seq)
    if len({m.seq for m in muts}) != len(muts):
        raise Rejected("duplicate sequence numbers in one batch")
    received = now()
    with db.writer() as s:
        row = _lock_client(s, db, req.client_id, user, protocol)
        expected = row.last_seq + 1
        old = [m for m in muts if m.seq < expected]
        known = _first_deliveries(s, req.client_id, [m.seq for m in old])
        fresh = [m for m in muts if m.seq >= expected]
        for i, m in enumerate(fresh):
            if m.seq != expected + i:
                raise Gap(expected + i, m.seq)
        b = _Batch(s, user, req.client_id)
        _prefetch(b, fresh)
        results = [_replayed(m, known.get(m.seq)) for m in old]
        records = []
        for m in fresh:
            result = _apply_recorded(b, m, safe=safe)
            results.append(result)
            records.append(dict(client_id=req.client_id, seq=m.seq, name=m.name[:64],
                                case_id=m.case_id, payload_hash=payload_hash(m),
                                outcome=result.outcome, reason=result.reason, user_id=user.id,
                                client_at=m.at, received_at=received))
        last_seq = fresh[-1].seq if fresh else row.last_seq
        version = _commit(b, req, records, last_seq, received, protocol)
    results.sort(key=lambda r: r.seq)
    return PushResponse(results=results, last_seq=last_seq, server_time=received, cursor=version)


def _first_deliveries(s: Session, client_id: str, seqs: list[int]) -> dict[int, Any]:
    """The recorded outcome of each already-processed sequence number, by seq."""
    if not seqs:
        return {}
    return {r.seq: r for r in s.execute(
        select(mutation.c.seq, mutation.c.payload_hash, mutation.c.outcome, mutation.c.reason)
        .where(mutation.c.client_id == client_id, mutation.c.seq.in_(seqs)))}


def _replayed(m: Mutation, first) -> MutationResult:
    """The answer for a mutation the server already processed: never applied twice."""
    if first is None:  # processed, but its record is gone: still never twice
        return MutationResult(seq=m.seq, outcome="duplicate", original="applied")
    if first.payload_hash != payload_hash(m):
        return MutationResult(
            seq=m.seq, outcome="rejected",
            reason="sequence number reused with different content (a copied store?)")
    return MutationResult(seq=m.seq, outcome="duplicate", original=first.outcome,
                          reason=first.reason)


def _apply_recorded(b: _Batch, m: Mutation, *, safe: bool) -> MutationResult:
    """Apply one fresh mutation and say how it went. In safe mode each runs in a savepoint, so
    one the database refuses is rejected alone; otherwise such a refusal fails the batch."""
    s = b.session
    outcome, reason, conflicts = "applied", "", []
    mark = len(b.changes)
    try:
        if safe:
            with s.begin_nested():
                outcome, conflicts = _apply(b, m)
                _flush_new(b)
                s.flush()
        else:
            outcome, conflicts = _apply(b, m)
    except Rejected as exc:
        outcome, reason = "rejected", str(exc)
    except OperationalError:
        raise  # the database is unwell: the whole batch fails and is retried
    except (IntegrityError, DataError, StatementError, ValueError, TypeError) as exc:
        if not safe:
            raise
        outcome, reason = "rejected", f"refused by the database: {exc!s:.200}"
        del b.changes[mark:]
        b.new_cases, b.new_events = [], []
        if m.name == Mutations.CASE_CREATE:
            b.created.discard(m.case_id)
    if outcome == "rejected" and (m.case_id in b.cases or m.case_id in b.created):
        b.changes.append(("case", m.case_id))  # resend the server's state of the case
    if conflicts:
        reason = "conflict on " + ", ".join(c.field for c in conflicts)
    return MutationResult(seq=m.seq, outcome=outcome, reason=reason, conflicts=conflicts)


def _commit(b: _Batch, req: PushRequest, records: list[dict], last_seq: int, received,
            protocol: int) -> int:
    """Write the batch's effects, its dedup records and the terminal's row; log the changes
    (bumping the clock) and commit. Returns the change cursor after it."""
    s = b.session
    _flush_new(b)
    s.flush()
    if records:
        s.execute(insert(mutation), records)
    s.execute(update(client).where(client.c.client_id == req.client_id).values(
        last_seq=last_seq, last_push_at=received, queue_depth=req.queue_depth,
        oldest_at=req.oldest_at, protocol=protocol))
    version = log_changes(s, b.changes) if b.changes else current_version(s)
    s.commit()
    return version
