"""The work order's lifecycle: the last return's reason, a pending extension request and the
supervision count on the case; the timeline indexed by kind and time (scoreboards, queues).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from models.store.db_types import AwareDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("return_reason", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("extension_due_at", AwareDateTime(), nullable=True))
        batch.add_column(sa.Column("supervised_count", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_index("ix_caseevent_kind_at", "caseevent", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_caseevent_kind_at", table_name="caseevent")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("supervised_count")
        batch.drop_column("extension_due_at")
        batch.drop_column("return_reason")
