"""Departments as users and the work order's server side: a user's department (role
`department`, its token bound to one department of the catalogue), and the indexes the
department API, the reminders (催办) and the shift leads' queues read.

Revision ID: 0005
Revises: 0004_kb (the knowledge base, merged first; 0003 before it)
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_kb"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("department", sa.String(64), nullable=False, server_default=""))
    # A department's open orders; overdue and due-soon queues; reminders (open work past due).
    op.create_index("ix_case_dept_status", "case", ["lead_department", "status"])
    op.create_index("ix_case_status_due", "case", ["status", "due_at"])
    # A case's timeline in order (the latest step for Open311, the department's list).
    op.create_index("ix_caseevent_case_at", "caseevent", ["case_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_caseevent_case_at", table_name="caseevent")
    op.drop_index("ix_case_status_due", table_name="case")
    op.drop_index("ix_case_dept_status", table_name="case")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("department")
