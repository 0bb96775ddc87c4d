"""The server's own tables (SQLAlchemy Core, a MetaData of their own so the terminal's SQLModel
metadata never sees them). Cases, events, departments and categories are `models.store.tables`.

- `sync_clock`: one row; its version is bumped inside every write transaction (the row lock
  orders commits), so the change cursor follows commit order on every server process.
- `changelog`: (version, entity, entity_id) for each change: the pull feed.
- `mutation`: the dedup record, written in the same transaction as the mutation's effect.
- `client`: each terminal, bound to its user on first push, with its last applied seq.
- `auth_failure`: failed sign-ins per client address in the current window (the throttle, shared
  by every server process on the database).
- `audit`: who read which cases (the case API, pulls of other users' cases) and the terminals'
  sequence jumps after a restore; shift leads read it (`GET /v1/audit`).
- `kb_article`, `kb_revision`, `kb_phrase`: the knowledge base as leads and admins keep it
  (`sync.server.kb`): each article's latest saved content and version, which version is
  published (what terminals pull), whether it is withdrawn; every version's content; the quick
  phrases. The terminal's own tables of the same names are `models.kb.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from models.store.db_types import AwareDateTime

server_meta = MetaData()

sync_clock = Table(
    "sync_clock", server_meta,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

changelog = Table(
    "changelog", server_meta,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("version", BigInteger, nullable=False, index=True),
    Column("entity", String(16), nullable=False),
    Column("entity_id", String(64), nullable=False),
)

users = Table(
    "app_user", server_meta,
    Column("id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("department", String(64), nullable=False, default="", server_default=""),
)

api_token = Table(
    "api_token", server_meta,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("hash", String(64), nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("expires_at", AwareDateTime(), nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
)

client = Table(
    "client", server_meta,
    Column("client_id", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("last_seq", BigInteger, nullable=False, default=0),
    Column("first_seen", AwareDateTime(), nullable=False),
    Column("last_push_at", AwareDateTime(), nullable=True),
    Column("last_pull_at", AwareDateTime(), nullable=True),
    Column("queue_depth", Integer, nullable=False, default=0),
    Column("oldest_at", AwareDateTime(), nullable=True),
    Column("protocol", Integer, nullable=False, default=0),
)

mutation = Table(
    "mutation", server_meta,
    Column("client_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("name", String(64), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("client_at", AwareDateTime(), nullable=True),
    Column("received_at", AwareDateTime(), nullable=False),
    PrimaryKeyConstraint("client_id", "seq"),
    Index("ix_mutation_case", "case_id"),
)

conflict = Table(
    "conflict", server_meta,
    Column("id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("field", String(64), nullable=False),
    Column("base", JSON, nullable=True),
    Column("theirs", JSON, nullable=True),
    Column("mine", JSON, nullable=True),
    Column("client_id", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
    Column("resolution", JSON, nullable=True),
    Column("resolved_by", String(64), nullable=False, default=""),
)

auth_failure = Table(
    "auth_failure", server_meta,
    Column("address", String(64), primary_key=True),
    Column("window_start", AwareDateTime(), nullable=False),
    Column("failures", Integer, nullable=False),
)

audit = Table(
    "audit", server_meta,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", AwareDateTime(), nullable=False, index=True),
    Column("user_id", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(32), nullable=False),
    Column("address", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("case_count", Integer, nullable=False),
    Column("case_ids", JSON, nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_user_at", "user_id", "at"),
)


kb_article = Table(
    "kb_article", server_meta,
    Column("id", String(64), primary_key=True),
    Column("group_id", String(64), nullable=False, index=True),
    Column("lang", String(8), nullable=False),
    Column("title", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("department", Text, nullable=False),
    Column("valid_from", AwareDateTime(), nullable=True),
    Column("valid_until", AwareDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("published_version", Integer, nullable=False, default=0),
    Column("withdrawn", Boolean, nullable=False, default=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("published_at", AwareDateTime(), nullable=True),
    Column("published_by", String(64), nullable=False, default=""),
)

kb_revision = Table(
    "kb_revision", server_meta,
    Column("article_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("at", AwareDateTime(), nullable=False),
    Column("by", String(64), nullable=False),
    Column("content", JSON, nullable=False),
    PrimaryKeyConstraint("article_id", "version"),
)

kb_phrase = Table(
    "kb_phrase", server_meta,
    Column("code", String(8), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("label", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("withdrawn", Boolean, nullable=False, default=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Column("updated_by", String(64), nullable=False),
    PrimaryKeyConstraint("code", "lang"),
)
