"""Pull: the changes since the terminal's cursor, read in one consistent snapshot.

The cursor is the `sync_clock` version of the last change the terminal has seen. Every write
bumps the clock under its row lock, so versions become visible in commit order and a reader never
sees version N+1 without N. Pages end on a version boundary. A cursor ahead of the server (a
restored or replaced database) gets `reset` and a full snapshot from zero.

Scope: the terminal's own cases always; other cases created within `horizon_days` (the local
search replica); events of those cases; reference data; conflicts (its own; every one for leads);
published and withdrawn knowledge articles and quick phrases (every terminal, `sync.server.kb`).
A page that carries other users' cases is recorded in the audit log (`audit`, action `pull`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, select
from sqlmodel import Session, col

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

from . import audit, kb, reminders
from .auth import User
from .db import Database, current_version
from .push import Forbidden
from .tables import changelog, client, conflict, mutation

MAX_ACKS = 1000


def pull(db: Database, user: User, req: PullRequest, address: str = "") -> PullResponse:
    """A page of changes; other users' cases in it are recorded in the audit log first. Today's
    reminders (催办) are added first (at most once a minute per process)."""
    reminders.maybe_remind(db)
    response = _page(db, user, req)
    others = [c.id for c in response.cases if c.agent != user.id]
    if others:
        audit.record(db, user, "pull", client_id=req.client_id, address=address, case_ids=others,
                     detail={"cursor_from": req.cursor if not response.reset else 0,
                             "cursor_to": response.cursor})
    return response


def _page(db: Database, user: User, req: PullRequest) -> PullResponse:
    with db.reader() as s:
        current = current_version(s)
        reset = req.cursor > current
        cursor = 0 if reset else req.cursor
        hi, more = _page_end(s, cursor, current, req.limit)
        ids = _changed(s, cursor, hi)
        last_seq = _last_seq(s, req.client_id, user)
        cases, events = _cases_and_events(s, ids, req) if "case" in ids else ([], [])
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
        kb_articles = kb.pulled_articles(s, ids[kb.ARTICLE]) if kb.ARTICLE in ids else []
        kb_phrases = kb.pulled_phrases(s, ids[kb.PHRASE]) if kb.PHRASE in ids else []
        acks = _acks(s, req, last_seq)
        acks_to = acks[-1].seq if len(acks) >= MAX_ACKS else last_seq
        return PullResponse(
            cursor=hi, more=more, reset=reset, last_seq=last_seq, acks=acks, acks_to=acks_to,
            cases=[CaseWire.model_validate(c) for c in cases],
            events=[EventWire.model_validate(e) for e in events],
            departments=[DepartmentWire.model_validate(d, from_attributes=True) for d in departments],
            categories=[CategoryWire.model_validate(c, from_attributes=True) for c in categories],
            conflicts=conflicts, kb_articles=kb_articles, kb_phrases=kb_phrases, head=current,
            server_time=now(), role=user.role,
            department=getattr(user, "department", "") or "")


def _page_end(s: Session, cursor: int, current: int, limit: int) -> tuple[int, bool]:
    """The page is versions (cursor, hi]; returns (hi, whether more follow)."""
    more, hi = False, current
    if cursor < current:
        cut = s.execute(select(changelog.c.version).where(changelog.c.version > cursor)
                        .order_by(changelog.c.version).offset(limit).limit(1)).scalar()
        if cut is not None:
            hi = cut - 1 if cut - 1 > cursor else cut  # one version over a page: send it whole
            more = hi < current
    return hi, more


def _changed(s: Session, cursor: int, hi: int) -> dict[str, Select]:
    """For each kind of entity changed in the page, a subquery of the changed ids (ids stay in
    the database, never lists)."""
    present = set() if cursor >= hi else set(s.execute(
        select(changelog.c.entity).where(changelog.c.version > cursor, changelog.c.version <= hi)
        .distinct()).scalars())
    return {entity: select(changelog.c.entity_id).where(
        changelog.c.entity == entity, changelog.c.version > cursor, changelog.c.version <= hi)
        for entity in present}


def _last_seq(s: Session, client_id: str, user: User) -> int:
    """The terminal's last processed sequence number (0 before its first push); Forbidden if
    the terminal is bound to another user."""
    crow = s.execute(select(client.c.user_id, client.c.last_seq)
                     .where(client.c.client_id == client_id)).first()
    if crow is not None and crow.user_id != user.id:
        raise Forbidden(f"terminal {client_id} is bound to another user")
    return crow.last_seq if crow else 0


def _cases_and_events(s: Session, ids: dict[str, Select],
                      req: PullRequest) -> tuple[list[dict], list[dict]]:
    """Changed cases in the terminal's scope (its own, and others' within the horizon), and the
    changed events of those cases."""
    horizon = now() - timedelta(days=req.horizon_days)
    own = select(mutation.c.case_id).where(mutation.c.client_id == req.client_id)
    ct, et = Case.__table__, CaseEvent.__table__
    scope = ct.c.id.in_(ids["case"]) & ((ct.c.created_at >= horizon) | ct.c.id.in_(own))
    cases = [dict(r._mapping) for r in s.execute(select(ct).where(scope))]
    events: list[dict] = []
    if "event" in ids and cases:  # an event's case is logged in the same version
        events = [dict(r._mapping) for r in s.execute(
            select(et).where(et.c.id.in_(ids["event"]),
                             et.c.case_id.in_(select(ct.c.id).where(scope)))
            .order_by(et.c.at, et.c.id))]
    return cases, events


def _acks(s: Session, req: PullRequest, last_seq: int) -> list[Ack]:
    """Outcomes other than "applied" from `ack_from` on (at most MAX_ACKS)."""
    if not (req.ack_from and last_seq >= req.ack_from):
        return []
    return [Ack(seq=r.seq, outcome=r.outcome, reason=r.reason) for r in s.execute(
        select(mutation.c.seq, mutation.c.outcome, mutation.c.reason).where(
            mutation.c.client_id == req.client_id, mutation.c.seq >= req.ack_from,
            mutation.c.outcome != "applied").order_by(mutation.c.seq).limit(MAX_ACKS))]
