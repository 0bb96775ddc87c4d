"""The knowledge base on the server: articles (latest content, version, the published version,
withdrawn), every version's content, quick phrases. Terminals pull published articles and
phrases through the change log (entities `kb_article`, `kb_phrase`).

Revision ID: 0004_kb
Revises: 0003 (the integrator re-chains it when another revision lands first)
"""

import sqlalchemy as sa
from alembic import op

from models.store.db_types import AwareDateTime

revision = "0004_kb"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_article",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("group_id", sa.String(64), nullable=False, index=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("valid_from", AwareDateTime(), nullable=True),
        sa.Column("valid_until", AwareDateTime(), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("published_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("published_at", AwareDateTime(), nullable=True),
        sa.Column("published_by", sa.String(64), nullable=False, server_default=""),
    )
    op.create_table(
        "kb_revision",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "version"),
    )
    op.create_table(
        "kb_phrase",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("code", "lang"),
    )


def downgrade() -> None:
    op.drop_table("kb_phrase")
    op.drop_table("kb_revision")
    op.drop_table("kb_article")
