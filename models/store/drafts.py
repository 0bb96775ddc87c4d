"""Drafts: the intake form as the agent types it, kept in the local store.

A crash, a closed terminal or a power cut brings the call back on restart; a call put aside
by a ringing phone stays here until the agent returns to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel, col, select

from models.domain.case_shape import CaseDraft
from models.domain.ids import new_id
from models.domain.timeutil import now

from .db_types import AwareDateTime
from .draft_writer import DISCARDED, OPEN, SAVED, upsert_draft
from .local import Store

__all__ = ["DISCARDED", "OPEN", "SAVED", "Draft", "Ring"]


class Draft(SQLModel, table=True):
    __table_args__ = (Index("ix_draft_state_updated", "state", "updated_at"),)

    id: str = Field(primary_key=True)
    agent: str
    created_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = OPEN

    @property
    def case_draft(self) -> CaseDraft:
        return CaseDraft.from_dict(self.data)

    def is_empty(self) -> bool:
        return self.case_draft.is_blank()


class Ring(SQLModel, table=True):
    """A call ringing for this terminal, told by `hotline ring` (a softphone or CTI hook)."""

    id: int | None = Field(default=None, primary_key=True)
    number: str
    at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    handled: bool = False


def new_draft(store: Store, agent: str, draft: CaseDraft | None = None) -> Draft:
    draft_id = new_id()
    with store.raw() as conn:
        upsert_draft(conn, draft_id, agent, draft or CaseDraft())
    with store.session() as s:
        return s.get(Draft, draft_id)


def open_drafts(store: Store, agent: str | None = None) -> list[Draft]:
    """Calls not yet saved, most recently touched first."""
    with store.session() as s:
        query = select(Draft).where(Draft.state == OPEN).order_by(col(Draft.updated_at).desc())
        if agent:
            query = query.where(Draft.agent == agent)
        return list(s.exec(query).all())


def ring(store: Store, number: str) -> Ring:
    row = Ring(number=number.strip(), at=now())
    with store.writer() as s:
        s.add(row)
        s.commit()
        s.refresh(row)
    return row


def take_rings(store: Store) -> list[Ring]:
    """Rings not yet shown, oldest first; marked handled in the same transaction."""
    with store.writer() as s:
        rows = list(s.exec(select(Ring).where(col(Ring.handled).is_(False)).order_by(col(Ring.id))).all())
        for row in rows:
            row.handled = True
            s.add(row)
        s.commit()
        return rows
