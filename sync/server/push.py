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

What the server stamps itself on a new case or event (author, time, derived status, version,
counters) is `received`; who may change which case is `rules`. A lifecycle step (an event that
records one) is checked by the lifecycle's rule against the case as the server has it and
recorded by `steps.take`; the cases a batch steps or edits are locked in id order for the
batch's transaction, so steps from two terminals on one case are taken in turn. A case number already taken on
the server is not refused: the case is numbered `<number>-2` (or the next free suffix), applied,
and the answer's reason says so; the terminal gets the new number on its next pull.

`resume_from` (the terminal holds nothing below that seq, after the server's database was
restored from an older backup): when the server expects a lower seq, the jump is recorded in
the audit log and the terminal's sequence continues from there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import bindparam, insert, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlmodel import Session, col

from models.cases import record_event_in
from models.domain.case_shape import EDITABLE_FIELDS
from models.domain.enums import EventKind
from models.domain.ids import new_id
from models.domain.lifecycle import step_of_event
from models.domain.messages import Problem, ValidationFailed
from models.domain.text import clean_text
from models.domain.timeutil import now
from models.domain.validation import MAX_ID, check_field_value, check_id
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

from . import audit, received, rules, steps
from .auth import User
from .db import (
    UNAVAILABLE,
    Database,
    among,
    among_bound,
    bulk_insert,
    current_version,
    log_changes,
)
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
    """What a mutation says, as a digest: a seq sent again must say the same. orjson writes
    the same bytes as `json_payload_hash`'s json.dumps, four times faster, except for floats
    with an exponent (1e-07 against 1e-7) and integers beyond 64 bits (json's, then)."""
    try:
        blob = orjson.dumps(_digested(m), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json_payload_hash(m)
    return hashlib.sha256(blob).hexdigest()


def json_payload_hash(m: Mutation) -> str:
    """The digest as servers before orjson recorded it."""
    blob = json.dumps(_digested(m), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _digested(m: Mutation) -> dict[str, Any]:
    return {"name": m.name, "case_id": m.case_id, "payload": m.payload}


def same_content(recorded_hash: str, m: Mutation) -> bool:
    """Whether `m` says what the first delivery of its seq said (recorded by this server or by
    one before orjson: the two digests differ only where a float has an exponent)."""
    return recorded_hash == payload_hash(m) or recorded_hash == json_payload_hash(m)


def _lock_client(session: Session, db: Database, client_id: str, user: User, protocol: int):
    row = session.execute(_LOCK_CLIENT[db.is_pg], dict(
        client_id=client_id, user_id=user.id, first_seen=now(), protocol=protocol)).one()
    if row.user_id != user.id:
        raise Forbidden(f"terminal {client_id} is bound to another user")
    return row


def _locking_client(insert_) -> Any:
    """One round trip: insert the terminal's row if new, else take its row lock (the no-op
    update locks it until commit), and read it back."""
    ins = insert_(client).values(
        client_id=bindparam("client_id"), user_id=bindparam("user_id"), last_seq=0,
        first_seen=bindparam("first_seen"), queue_depth=0, protocol=bindparam("protocol"))
    return ins.on_conflict_do_update(index_elements=["client_id"],
                                     set_={"client_id": ins.excluded.client_id}
                                     ).returning(*client.c)


# Built once for each dialect (every push runs one; building it was most of the statement-making
# a push of one case did): PostgreSQL's, then SQLite's, by `Database.is_pg`.
_LOCK_CLIENT = {True: _locking_client(pg_insert), False: _locking_client(sqlite_insert)}


@dataclass
class _Batch:
    session: Session
    user: User
    client_id: str
    received: datetime  # the server's receipt time: what it stamps on new cases and events
    is_pg: bool = False
    cases: dict[str, Case] = field(default_factory=dict)  # ORM rows of the cases it steps or edits
    stored: set[str] = field(default_factory=set)  # ids it would create that are already stored
    created: set[str] = field(default_factory=set)  # created in this batch, maybe not yet inserted
    new_cases: list[dict] = field(default_factory=list)  # buffered inserts (Core: fast)
    new_events: list[dict] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)
    external_ids: set[str] = field(default_factory=set)
    case_nos: set[str] = field(default_factory=set)  # numbers taken (stored, or in this batch)
    notes: dict[int, str] = field(default_factory=dict)  # seq -> what an applied one should say
    changes: list[tuple[str, str]] = field(default_factory=list)
    _catalogue: received.BatchCatalogue | None = None

    def knows(self, case_id: str) -> bool:
        """Whether the case is on the server already or created earlier in this batch."""
        return case_id in self.cases or case_id in self.stored or case_id in self.created

    @property
    def catalogue(self) -> received.BatchCatalogue:
        if self._catalogue is None:
            self._catalogue = received.cached_catalogue(self.session)
        return self._catalogue


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "invalid payload: " + "; ".join(parts)


def _prefetch(b: _Batch, muts: list[Mutation]) -> None:
    ids = {m.case_id for m in muts if m.case_id}
    creates = [m.payload["case"] for m in muts
               if m.name == Mutations.CASE_CREATE and isinstance(m.payload.get("case"), dict)]
    create_ext = [c.get("external_id") for c in creates]
    numbers = [n for c in creates if _queryable(n := c.get("case_no"))]
    event_ids: list[str] = []
    for m in muts:
        if m.name == Mutations.CASE_CREATE:
            event_ids += [e.get("id") for e in m.payload.get("events", []) if isinstance(e, dict)]
        elif isinstance(m.payload.get("event"), dict):
            event_ids.append(m.payload["event"].get("id"))
    s = b.session
    touched = sorted({m.case_id for m in muts if m.case_id and m.name != Mutations.CASE_CREATE
                      and _queryable(m.case_id)})
    if touched:
        # Cases this batch steps or edits, locked in id order until commit: a step on a case
        # another terminal (or a department) is stepping waits, then is checked against the
        # state that one left (PostgreSQL; SQLite's writer holds the whole database).
        q = select(Case).where(among(col(Case.id), touched, b.is_pg)).order_by(col(Case.id))
        for case in s.execute(q.with_for_update() if b.is_pg else q).scalars():
            b.cases[case.id] = case
    # The rest is whether what the batch would create is already there: one statement.
    values = {"id": [i for i in ids - set(touched) if _queryable(i)], "no": numbers,
              "ext": [e for e in create_ext if _queryable(e)],
              "event": [e for e in event_ids if _queryable(e)]}
    if any(values.values()):
        found = {"id": b.stored, "no": b.case_nos, "ext": b.external_ids, "event": b.event_ids}
        for kind, value in s.execute(_ALREADY_STORED[b.is_pg], values):
            found[kind].add(value)


def _already_stored(is_pg: bool) -> Any:
    """Which of the given case ids, case numbers, external ids and event ids are stored, each
    row (kind, value); built once for each dialect (every push of a new case runs it), its four
    lists bound per push (an empty one finds nothing)."""
    return union_all(*(select(literal(kind), column).where(among_bound(column, kind, is_pg))
                       for kind, column in (("id", col(Case.id)), ("no", col(Case.case_no)),
                                            ("ext", col(Case.external_id)),
                                            ("event", col(CaseEvent.id)))))


_ALREADY_STORED = {True: _already_stored(True), False: _already_stored(False)}


def _queryable(value: Any) -> bool:
    """An identifier the database may be asked about (a NUL in a query is PostgreSQL's error,
    not the mutation's); others are refused by validation later, naming their field."""
    return isinstance(value, str) and check_id("id", value) is None


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
    try:
        case = received.new_case(c, b.user, b.received, b.catalogue)
    except ValidationFailed as exc:
        raise Rejected(_problems(exc.problems)) from None
    if b.knows(c.id):
        raise Rejected(f"case {c.id} already exists")
    if case["external_id"] and case["external_id"] in b.external_ids:
        raise Rejected(f"a case with external id {case['external_id']!r} already exists")
    imported = received.is_import(case["source"])
    events = []
    for e in p.events:
        if e.case_id != c.id:
            raise Rejected(f"event {e.id} belongs to another case")
        if not imported and e.kind not in received.WITH_A_NEW_CASE:
            raise Rejected(f"kind: a new case brings only its created event and notes; send "
                           f"{e.kind!r} as its own event (case.event.v1)")
        try:
            event = received.new_event(e, b.user, b.received, imported=imported)
            if e.kind == EventKind.CREATED and not imported:
                event["data"] = received.created_event_data(case, event["data"])
        except ValidationFailed as exc:
            raise Rejected(_problems(exc.problems, prefix="event.")) from None
        if e.id in b.event_ids or any(x["id"] == e.id for x in events):
            raise Rejected(f"event {e.id} already exists")
        events.append(event)
    number = _free_number(b, case["case_no"])
    if number != case["case_no"]:
        b.notes[m.seq] = (f"case number {case['case_no']} was taken on the server: this case is "
                          f"numbered {number}")
        case["case_no"] = number
    b.case_nos.add(number)
    b.new_cases.append(case | {"sync_state": "synced"})
    b.created.add(c.id)
    if case["external_id"]:
        b.external_ids.add(case["external_id"])
    b.changes.append(("case", c.id))
    for event in events:
        b.new_events.append(event)
        b.event_ids.add(event["id"])
        b.changes.append(("event", event["id"]))
    return "applied"


def _free_number(b: _Batch, number: str) -> str:
    """`number` when no case has it yet, else the first free `<number>-k` (k = 2, 3, ...)."""
    if number not in b.case_nos:
        return number
    base = number[:MAX_ID - 8]
    taken = b.case_nos | set(b.session.execute(
        select(Case.case_no).where(col(Case.case_no).startswith(base + "-", autoescape=True)))
        .scalars())
    k = 2
    while f"{base}-{k}" in taken:
        k += 1
    return f"{base}-{k}"


def _flush_new(b: _Batch) -> None:
    """Insert the buffered new cases and their events (one COPY or executemany each)."""
    if b.new_cases:
        bulk_insert(b.session, Case.__table__, b.new_cases)
        b.new_cases = []
    if b.new_events:
        bulk_insert(b.session, CaseEvent.__table__, b.new_events)
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
        raise Rejected(f"kind: unknown event kind {e.kind[:40]!r}")
    if (m.name == Mutations.CASE_NOTE) != (e.kind == EventKind.NOTE):
        raise Rejected(f"{m.name} cannot carry an event of kind {e.kind!r}")
    case = _case(b, e.case_id) if len(e.case_id) <= MAX_ID else None
    if case is None or e.case_id != m.case_id:
        raise Rejected(f"unknown case {e.case_id[:MAX_ID]}")
    try:
        event = received.new_event(e, b.user, b.received)
    except ValidationFailed as exc:
        raise Rejected(_problems(exc.problems, prefix="event.")) from None
    if e.id in b.event_ids:
        raise Rejected(f"event {e.id} already exists")
    step = step_of_event(e.kind, event["data"], event["note"])
    if step is None:  # no lifecycle step: created / imported (refused), repeat calls
        problem = rules.refusal(b.user, case, e.kind)
        if problem is not None:
            raise Rejected(_problems([problem]))
        record_event_in(b.session, case, EventKind(e.kind), event["agent"], event["at"],
                        event["note"], event["data"], event_id=e.id, queue=False)
    else:  # a step: checked against the case as the server has it (the row is locked)
        taken = {"taken_at": event["data"]["taken_at"]} if "taken_at" in event["data"] else {}
        try:
            steps.take(b.session, case, rules.actor_of(b.user), step, event["at"], b.catalogue,
                       event_id=e.id, extra=taken)
        except ValidationFailed as exc:
            raise Rejected(_problems(exc.problems)) from None
    b.event_ids.add(e.id)
    b.changes += [("case", case.id), ("event", e.id)]
    return "applied"


def _problems(problems: list[Problem], prefix: str = "") -> str:
    """A refusal's reason: each problem with the field it names, in English (the terminal shows
    the reason as the server gave it)."""
    def name(p: Problem) -> str:
        return p.field if p.field.startswith(prefix) else prefix + p.field
    return "; ".join(f"{name(p)}: {p.message('en')}" for p in problems[:10])


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
    problem = rules.refusal(b.user, case, rules.FIELDS)
    if problem is not None:
        raise Rejected(_problems([problem]))
    try:
        new_values = {f: check_field_value(f, ch.new, b.catalogue) for f, ch in p.fields.items()}
    except ValidationFailed as exc:
        raise Rejected(_problems(exc.problems)) from None
    conflicts: list[ConflictInfo] = []
    changed = False
    at = b.received
    for name, change in p.fields.items():
        current = getattr(case, name)
        if current == change.old:  # three-way: the server still has what the terminal saw
            setattr(case, name, new_values[name])
            changed = True
        elif current == new_values[name]:
            continue  # both sides made the same change
        else:
            info = ConflictInfo(field=name, base=_as_stored(name, change.old), theirs=current,
                                mine=new_values[name])
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


def _as_stored(name: str, value: Any) -> Any:
    """The terminal's `old` as a conflict record keeps it: cleaned like a new value, or None when
    it is no value the field could hold (it is only what the terminal said it saw)."""
    try:
        return check_field_value(name, value)
    except ValidationFailed:
        return None


def push(db: Database, user: User, req: PushRequest, protocol: int) -> PushResponse:
    try:
        return _push(db, user, req, protocol, safe=False)
    except (Gap, Forbidden, Rejected, *UNAVAILABLE):
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
        jumped = None
        if req.resume_from is not None and req.resume_from > expected:
            jumped = (expected, req.resume_from)  # restored from an older backup: continue
            expected = req.resume_from
            if muts and muts[0].seq < expected:
                raise Rejected(f"resume_from is {expected}, but the batch holds seq "
                               f"{muts[0].seq} below it")
        old = [m for m in muts if m.seq < expected]
        known = _first_deliveries(s, req.client_id, [m.seq for m in old])
        fresh = [m for m in muts if m.seq >= expected]
        for i, m in enumerate(fresh):
            if m.seq != expected + i:
                raise Gap(expected + i, m.seq)
        b = _Batch(s, user, req.client_id, received, is_pg=db.is_pg)
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
        last_seq = fresh[-1].seq if fresh else expected - 1
        if jumped is not None:
            audit.record_in(s, user, "sync.seq_jump", client_id=req.client_id, detail={
                "expected_seq": jumped[0], "resume_from": jumped[1], "skipped": jumped[1] - jumped[0]})
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
    if not same_content(first.payload_hash, m):
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
        # A reason may quote what the terminal sent: stored and shown as one clean line.
        outcome, reason = "rejected", clean_text(str(exc), multiline=False)[:2000]
    except UNAVAILABLE:
        raise  # the database is unwell: the whole batch fails and is retried
    except (IntegrityError, DataError, StatementError, ValueError, TypeError) as exc:
        if not safe:
            raise
        outcome, reason = "rejected", clean_text(f"refused by the database: {exc!s:.200}",
                                                 multiline=False)
        del b.changes[mark:]
        b.new_cases, b.new_events = [], []
        if m.name == Mutations.CASE_CREATE:
            b.created.discard(m.case_id)
    if outcome == "rejected" and b.knows(m.case_id):
        b.changes.append(("case", m.case_id))  # resend the server's state of the case
    if conflicts:
        reason = "conflict on " + ", ".join(c.field for c in conflicts)
    elif outcome == "applied":
        reason = b.notes.get(m.seq, "")
    return MutationResult(seq=m.seq, outcome=outcome, reason=reason, conflicts=conflicts)


def _commit(b: _Batch, req: PushRequest, records: list[dict], last_seq: int, received,
            protocol: int) -> int:
    """Write the batch's effects, its dedup records and the terminal's row; log the changes
    (bumping the clock) and commit. Returns the change cursor after it."""
    s = b.session
    _flush_new(b)
    s.flush()
    bulk_insert(s, mutation, records)
    s.execute(_CLIENT_PUSHED, dict(
        terminal=req.client_id, last_seq=last_seq, last_push_at=received,
        queue_depth=req.queue_depth, oldest_at=req.oldest_at, protocol=protocol))
    version = log_changes(s, b.changes) if b.changes else current_version(s)
    s.commit()
    return version


# What a push records of its terminal (built once: it runs on every push).
_CLIENT_PUSHED = update(client).where(client.c.client_id == bindparam("terminal")).values(
    **{k: bindparam(k) for k in ("last_seq", "last_push_at", "queue_depth", "oldest_at",
                                 "protocol")})
