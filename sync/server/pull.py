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

from sqlalchemy import Integer, Select, bindparam, select
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
from .db import Database
from .push import Forbidden
from .tables import changelog, client, conflict, mutation, sync_clock

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
        current, last_seq = _head_and_last_seq(s, req.client_id, user)
        reset = req.cursor > current
        cursor = 0 if reset else req.cursor
        hi, more = _page_end(s, cursor, current, req.limit)
        present = _changed(s, cursor, hi)

        def ids(entity: str) -> Select:  # the ids of a kind of entity changed in the page
            return _ids_in_page(entity).params(lo=cursor, hi=hi)

        cases, events = (_cases_and_events(s, cursor, hi, present, req) if "case" in present
                         else ([], []))
        departments = list(s.execute(select(Department).where(
            col(Department.code).in_(ids("department")))).scalars()) \
            if "department" in present else []
        categories = list(s.execute(select(Category).where(
            col(Category.code).in_(ids("category")))).scalars()) if "category" in present else []
        conflicts = []
        if "conflict" in present:
            q = select(conflict).where(conflict.c.id.in_(ids("conflict")))
            if user.role == "agent":
                q = q.where(conflict.c.client_id == req.client_id)
            conflicts = [ConflictWire(**r._mapping) for r in s.execute(q)]
        kb_articles = kb.pulled_articles(s, ids(kb.ARTICLE)) if kb.ARTICLE in present else []
        kb_phrases = kb.pulled_phrases(s, ids(kb.PHRASE)) if kb.PHRASE in present else []
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
        cut = s.execute(_PAGE_CUT, {"lo": cursor, "skip": limit}).scalar()
        if cut is not None:
            hi = cut - 1 if cut - 1 > cursor else cut  # one version over a page: send it whole
            more = hi < current
    return hi, more


def _changed(s: Session, cursor: int, hi: int) -> set[str]:
    """The kinds of entity changed in the page."""
    if cursor >= hi:
        return set()
    return set(s.execute(_KINDS_IN_PAGE, {"lo": cursor, "hi": hi}).scalars())


def _head_and_last_seq(s: Session, client_id: str, user: User) -> tuple[int, int]:
    """The clock's version and the terminal's last processed sequence number (0 before its
    first push), in one round trip; Forbidden if the terminal is bound to another user."""
    row = s.execute(_HEAD_AND_CLIENT, {"client_id": client_id}).one()
    if row.user_id is not None and row.user_id != user.id:
        raise Forbidden(f"terminal {client_id} is bound to another user")
    return row.version, row.last_seq or 0


def _cases_and_events(s: Session, cursor: int, hi: int, present: set[str],
                      req: PullRequest) -> tuple[list[dict], list[dict]]:
    """Changed cases in the terminal's scope (its own, and others' within the horizon), and the
    changed events of those cases."""
    params = {"lo": cursor, "hi": hi, "client_id": req.client_id,
              "horizon": now() - timedelta(days=req.horizon_days)}
    cases = [dict(r._mapping) for r in s.execute(_CASES, params)]
    events: list[dict] = []
    if "event" in present and cases:  # an event's case is logged in the same version
        events = [dict(r._mapping) for r in s.execute(_EVENTS, params)]
    return cases, events


# The statements every pull runs, built once (building them per pull was about a fifth of its
# Python time); the values are bound per pull.
_IN_PAGE = (changelog.c.version > bindparam("lo"), changelog.c.version <= bindparam("hi"))


def _ids_in_page(entity: str) -> Select:
    """A subquery of the ids of `entity` changed in the page (lo, hi]: ids stay in the
    database, never lists."""
    return select(changelog.c.entity_id).where(changelog.c.entity == entity, *_IN_PAGE)


_PAGE_CUT = (select(changelog.c.version).where(_IN_PAGE[0])
             .order_by(changelog.c.version).offset(bindparam("skip", type_=Integer)).limit(1))
_KINDS_IN_PAGE = select(changelog.c.entity).where(*_IN_PAGE).distinct()
_HEAD_AND_CLIENT = select(
    select(sync_clock.c.version).where(sync_clock.c.id == 1).scalar_subquery().label("version"),
    *(select(c).where(client.c.client_id == bindparam("client_id")).scalar_subquery().label(c.name)
      for c in (client.c.user_id, client.c.last_seq)))
_CT, _ET = Case.__table__, CaseEvent.__table__
# In the terminal's scope: changed in the page, and its own (it pushed a mutation of the case) or
# created within the horizon.
_SCOPE = _CT.c.id.in_(_ids_in_page("case")) & (
    (_CT.c.created_at >= bindparam("horizon"))
    | _CT.c.id.in_(select(mutation.c.case_id).where(mutation.c.client_id == bindparam("client_id"))))
_CASES = select(_CT).where(_SCOPE)
_EVENTS = (select(_ET).where(_ET.c.id.in_(_ids_in_page("event")),
                             _ET.c.case_id.in_(select(_CT.c.id).where(_SCOPE)))
           .order_by(_ET.c.at, _ET.c.id))


def _acks(s: Session, req: PullRequest, last_seq: int) -> list[Ack]:
    """Outcomes other than "applied" from `ack_from` on (at most MAX_ACKS)."""
    if not (req.ack_from and last_seq >= req.ack_from):
        return []
    return [Ack(seq=r.seq, outcome=r.outcome, reason=r.reason) for r in s.execute(
        select(mutation.c.seq, mutation.c.outcome, mutation.c.reason).where(
            mutation.c.client_id == req.client_id, mutation.c.seq >= req.ack_from,
            mutation.c.outcome != "applied").order_by(mutation.c.seq).limit(MAX_ACKS))]
