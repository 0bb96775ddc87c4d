"""The SQLModel tables, shared by the terminal's local store and the central server.

Times are aware (`AwareDateTime`); lists are JSON. Free-text columns hold cleaned caller text
(`models.domain.text.clean_text`): no control characters, shown literally by every front end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from models.domain.case_shape import CaseRecord

from .db_types import AwareDateTime


def _time(*, index: bool = False, nullable: bool = False) -> Any:
    return Field(default=None if nullable else ..., sa_column=Column(AwareDateTime(), nullable=nullable, index=index))


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Meta(SQLModel, table=True):
    """Key/value facts about this store: its client_id, terminal prefix, seeding marks."""

    key: str = Field(primary_key=True)
    value: str


class Counter(SQLModel, table=True):
    """Per-day case-number counters (terminal prefix + date), so numbers are made offline."""

    key: str = Field(primary_key=True)
    value: int = 0


class Department(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name_zh: str = ""
    name_en: str = ""
    aliases: list[str] = _json_list()
    parent: str = ""
    district: str = ""
    categories: list[str] = _json_list()  # category codes this department owns
    location_kinds: list[str] = _json_list()  # where it owns them (empty = anywhere)
    source: str = "catalogue"  # catalogue | import


class Category(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name_zh: str = ""
    name_en: str = ""
    parent: str = ""
    aliases: list[str] = _json_list()
    due_days: int = 5  # working days to resolve, at normal urgency
    source: str = "catalogue"


class Caller(SQLModel, table=True):
    """The last known name for a phone number: fills the form when the number calls again."""

    phone: str = Field(primary_key=True)  # E.164
    name: str = ""
    last_call_at: datetime = _time()


class Case(CaseRecord, SQLModel, table=True):
    """A work order (工单): the fields of `models.domain.case_shape.CaseRecord`, stored. Only how
    they are stored (keys, indexes, column types) and the terminal-local sync state are here."""

    __table_args__ = (Index("ix_case_status_created", "status", "created_at"),)

    id: str = Field(primary_key=True)
    case_no: str = Field(index=True)
    external_id: str | None = Field(default=None, unique=True)
    created_at: datetime = _time(index=True)
    updated_at: datetime = _time()
    caller_phone: str = Field(default="", index=True)
    lead_department: str = Field(default="", index=True)
    co_departments: list[str] = _json_list()
    due_at: datetime | None = _time(nullable=True)
    resolved_at: datetime | None = _time(nullable=True)
    taken_at: datetime | None = _time(nullable=True)
    sync_state: str = "local"  # local (not yet on the server) | synced | imported


class CaseEvent(SQLModel, table=True):
    """The append-only timeline of a case."""

    id: str = Field(primary_key=True)
    case_id: str = Field(index=True, foreign_key="case.id")
    kind: str
    at: datetime = _time()
    agent: str = ""
    note: str = ""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
