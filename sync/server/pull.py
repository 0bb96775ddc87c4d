"""Pull: the changes since the terminal's cursor, read in one consistent snapshot.

The cursor is the `sync_clock` version of the last change the terminal has seen. Every write
bumps the clock under its row lock, so versions become visible in commit order and a reader never
sees version N+1 without N. Pages end on a version boundary. A cursor ahead of the server (a
restored or replaced database) gets `reset` and a full snapshot from zero.

Scope: the terminal's own cases always; other cases created within `horizon_days` (the local
search replica); events of those cases; reference data; conflicts (its own; every one for leads).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from models.domain.timeutil import now
from models.store.tables import Case, CaseEvent, Category, Department
from sync.protocol import (
    Ack,
    CaseWire,
    CategoryWire,
    ConflictWire,
    DepartmentWire,
    EventWire,
    PullRequest,
    PullResponse,
)

from .auth import User
from .db import Database, current_version
from .push import Forbidden
from .tables import changelog, client, conflict, mutation

MAX_ACKS = 1000


def pull(db: Database, user: User, req: PullRequest) -> PullResponse:
    with db.reader() as s:
        current = current_version(s)
        reset = req.cursor > current
        cursor = 0 if reset else req.cursor
        # The page: versions (cursor, hi]. Ids stay in the database (subqueries), never lists.
        more, hi = False, current
        if cursor < current:
            cut = s.execute(select(changelog.c.version).where(changelog.c.version > cursor)
                            .order_by(changelog.c.version).offset(req.limit).limit(1)).scalar()
            if cut is not None:
                hi = cut - 1 if cut - 1 > cursor else cut  # one version over a page: send it whole
                more = hi < current
        new_cursor = hi

        def changed(entity: str):
            return select(changelog.c.entity_id).where(
                changelog.c.entity == entity, changelog.c.version > cursor,
                changelog.c.version <= hi)

        present = set() if cursor >= hi else set(s.execute(
            select(changelog.c.entity).where(changelog.c.version > cursor, changelog.c.version <= hi)
            .distinct()).scalars())
        ids = {entity: changed(entity) for entity in present}

        crow = s.execute(select(client.c.user_id, client.c.last_seq)
                         .where(client.c.client_id == req.client_id)).first()
        if crow is not None and crow.user_id != user.id:
            raise Forbidden(f"terminal {req.client_id} is bound to another user")
        last_seq = crow.last_seq if crow else 0

        cases: list[dict] = []
        events: list[dict] = []
        if "case" in ids:
            horizon = now() - timedelta(days=req.horizon_days)
            own = select(mutation.c.case_id).where(mutation.c.client_id == req.client_id)
            ct, et = Case.__table__, CaseEvent.__table__
            scope = ct.c.id.in_(ids["case"]) & ((ct.c.created_at >= horizon) | ct.c.id.in_(own))
            cases = [dict(r._mapping) for r in s.execute(select(ct).where(scope))]
            if "event" in ids and cases:  # an event's case is logged in the same version
                events = [dict(r._mapping) for r in s.execute(
                    select(et).where(et.c.id.in_(ids["event"]),
                                     et.c.case_id.in_(select(ct.c.id).where(scope)))
                    .order_by(et.c.at, et.c.id))]
        departments = list(s.execute(select(Department).where(
            col(Department.code).in_(ids["department"]))).scalars()) if "department" in ids else []
        categories = list(s.execute(select(Category).where(
            col(Category.code).in_(ids["category"]))).scalars()) if "category" in ids else []
        conflicts = []
        if "conflict" in ids:
            q = select(conflict).where(conflict.c.id.in_(ids["conflict"]))
            if user.role == "agent":
                q = q.where(conflict.c.client_id == req.client_id)
            conflicts = [ConflictWire(**r._mapping) for r in s.execute(q)]
        acks = []
        if req.ack_from and last_seq >= req.ack_from:
            acks = [Ack(seq=r.seq, outcome=r.outcome, reason=r.reason) for r in s.execute(
                select(mutation.c.seq, mutation.c.outcome, mutation.c.reason).where(
                    mutation.c.client_id == req.client_id, mutation.c.seq >= req.ack_from,
                    mutation.c.outcome != "applied").order_by(mutation.c.seq).limit(MAX_ACKS))]
        acks_to = acks[-1].seq if len(acks) >= MAX_ACKS else last_seq
        return PullResponse(
            cursor=new_cursor, more=more, reset=reset, last_seq=last_seq, acks=acks, acks_to=acks_to,
            cases=[CaseWire.model_validate(c) for c in cases],
            events=[EventWire.model_validate(e) for e in events],
            departments=[DepartmentWire.model_validate(d, from_attributes=True) for d in departments],
            categories=[CategoryWire.model_validate(c, from_attributes=True) for c in categories],
            conflicts=conflicts, server_time=now())
