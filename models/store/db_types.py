"""Column types shared by the local store (SQLite) and the central server (PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator

from models.domain.timeutil import from_db_text, to_db_text


class AwareDateTime(TypeDecorator):
    """Aware datetimes: TIMESTAMPTZ on PostgreSQL, sortable UTC text on SQLite."""

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = from_db_text(value)
        if dialect.name == "postgresql":
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            return value
        return to_db_text(value)

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, datetime):
            return value
        return from_db_text(value)
