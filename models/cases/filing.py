"""The one save path for a new case.

The intake form, `hotline new` and `hotline new --batch` all come through `file_case`, so a
case is validated and stored the same way whoever files it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from models.domain import validation
from models.domain.case_shape import CaseDraft
from models.domain.deadlines import add_working_days
from models.domain.enums import Disposition, EventKind, Status
from models.domain.ids import new_id
from models.domain.timeutil import now
from models.domain.validation import CheckedCase
from models.reference.catalogue import SessionCatalogue
from models.search.index import index_session
from models.store import Store, outbox
from models.store.tables import Case, CaseEvent

from .callers import remember_caller

if TYPE_CHECKING:
    from models.kb.answers import AnsweredFrom


def check_draft(session: Session, draft: CaseDraft) -> CheckedCase:
    """The rules of intake (`models.domain.validation`) against this store's catalogue."""
    return validation.check_draft(draft, SessionCatalogue(session))


def file_case(store: Store, draft: CaseDraft, agent: str, at: datetime | None = None, *,
              answered_from: AnsweredFrom | None = None, lang: str = "en") -> Case:
    """Validate and save a new case with its first events, in one local transaction.

    `answered_from`: the knowledge article (and version) whose short answer the agent gave;
    on a case answered directly it is recorded in the same transaction: on the created event
    (data `kb_article`, `kb_version`; its note, in `lang`, is the timeline's line) and as a
    `kb_answer` row (`models.kb.answers`: the gap review counts it, search learns the question).
    On any other disposition the article did not answer the call and nothing is recorded."""
    with store.writer() as session:
        case = file_case_in(session, store, draft, agent, at or now(),
                            answered_from=answered_from, lang=lang)
        session.commit()
        return case


def file_case_in(session: Session, store: Store, draft: CaseDraft, agent: str, at: datetime, *,
                 answered_from: AnsweredFrom | None = None, lang: str = "en") -> Case:
    """`file_case` inside the caller's transaction (batch filing, demo seeding)."""
    checked = check_draft(session, draft)
    case = Case(
        id=new_id(), case_no=store.next_case_no(session, at), source="local",
        created_at=at, updated_at=at, agent=agent, **checked.values,
    )
    if case.status == Status.DISPATCHED:  # an open case gets its deadline when dispatched
        case.due_at = add_working_days(at, checked.due_days)
    session.add(case)
    session.flush()
    answered = answered_from if case.disposition == Disposition.ANSWERED else None
    data = {"disposition": case.disposition, "lead_department": case.lead_department,
            "co_departments": case.co_departments}
    events = [CaseEvent(id=new_id(), case_id=case.id, kind=EventKind.CREATED, at=at,
                        agent=agent, data={**data, **answered.data()} if answered else data,
                        note=answered.note(lang) if answered else "")]
    if checked.notes:
        events.append(CaseEvent(id=new_id(), case_id=case.id, kind=EventKind.NOTE, at=at,
                                agent=agent, note=checked.notes))
    session.add_all(events)
    outbox.enqueue_case_created(session, case, events)  # same transaction: the outbox pattern
    if case.caller_phone:
        remember_caller(session, case.caller_phone, case.caller_name, at)
    index_session(session)  # findable by similar-case search as soon as this commits
    if answered is not None:
        from models.kb.answers import record_answer_in

        record_answer_in(session.connection().connection.driver_connection, case.id,
                         case.description, answered.article_id, answered.version, agent=agent,
                         lang=answered.lang, at=at)
    return case
