"""The central server's first schema: cases and their timeline, reference data, users and
tokens, terminals, the mutation (dedup) record, the change feed and its clock, conflicts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from models.store.db_types import AwareDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(name, AwareDateTime(), nullable=nullable, index=index)


def upgrade() -> None:
    op.create_table(
        "department",
        sa.Column("code", sa.String, primary_key=True),
        sa.Column("name_zh", sa.String, nullable=False), sa.Column("name_en", sa.String, nullable=False),
        sa.Column("aliases", sa.JSON, nullable=False), sa.Column("parent", sa.String, nullable=False),
        sa.Column("district", sa.String, nullable=False), sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("location_kinds", sa.JSON, nullable=False), sa.Column("source", sa.String, nullable=False),
    )
    op.create_table(
        "category",
        sa.Column("code", sa.String, primary_key=True),
        sa.Column("name_zh", sa.String, nullable=False), sa.Column("name_en", sa.String, nullable=False),
        sa.Column("parent", sa.String, nullable=False), sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("due_days", sa.Integer, nullable=False), sa.Column("source", sa.String, nullable=False),
    )
    op.create_table(
        "case",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("case_no", sa.String, nullable=False, index=True),
        sa.Column("external_id", sa.String, nullable=True, unique=True),
        sa.Column("source", sa.String, nullable=False),
        _time("created_at", index=True), _time("updated_at"),
        sa.Column("caller_phone", sa.String, nullable=False, index=True),
        sa.Column("caller_withheld", sa.Boolean, nullable=False),
        sa.Column("caller_name", sa.String, nullable=False),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("address", sa.String, nullable=False),
        sa.Column("district", sa.String, nullable=False),
        sa.Column("location_kind", sa.String, nullable=False),
        sa.Column("category", sa.String, nullable=False),
        sa.Column("urgency", sa.String, nullable=False),
        sa.Column("disposition", sa.String, nullable=False),
        sa.Column("lead_department", sa.String, nullable=False, index=True),
        sa.Column("co_departments", sa.JSON, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        _time("due_at", nullable=True), _time("resolved_at", nullable=True),
        sa.Column("resolution", sa.String, nullable=False),
        sa.Column("satisfaction", sa.String, nullable=False),
        sa.Column("lat", sa.Float, nullable=True), sa.Column("lon", sa.Float, nullable=True),
        sa.Column("agent", sa.String, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("repeat_count", sa.Integer, nullable=False),
        sa.Column("sync_state", sa.String, nullable=False),
    )
    op.create_index("ix_case_status_created", "case", ["status", "created_at"])
    op.create_table(
        "caseevent",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("case_id", sa.String, sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("kind", sa.String, nullable=False),
        _time("at"),
        sa.Column("agent", sa.String, nullable=False),
        sa.Column("note", sa.String, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "sync_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO sync_clock (id, version) VALUES (1, 0)")
    op.create_table(
        "changelog",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("version", sa.BigInteger, nullable=False, index=True),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        _time("created_at"),
        sa.Column("disabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("hash", sa.String(64), nullable=False),
        _time("created_at"), _time("expires_at", nullable=True),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "client",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        _time("first_seen"), _time("last_push_at", nullable=True), _time("last_pull_at", nullable=True),
        sa.Column("queue_depth", sa.Integer, nullable=False),
        _time("oldest_at", nullable=True),
        sa.Column("protocol", sa.Integer, nullable=False),
    )
    op.create_table(
        "mutation",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        _time("client_at", nullable=True), _time("received_at"),
        sa.PrimaryKeyConstraint("client_id", "seq"),
    )
    op.create_index("ix_mutation_case", "mutation", ["case_id"])
    op.create_table(
        "conflict",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("base", sa.JSON, nullable=True),
        sa.Column("theirs", sa.JSON, nullable=True),
        sa.Column("mine", sa.JSON, nullable=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        _time("created_at"),
        sa.Column("resolved", sa.Boolean, nullable=False),
        sa.Column("resolution", sa.JSON, nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("conflict", "mutation", "client", "api_token", "app_user", "changelog",
                  "sync_clock", "caseevent", "case", "category", "department"):
        op.drop_table(table)
