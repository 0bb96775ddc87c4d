"""Security: the terminal's own clock beside the server's receipt time (`case.taken_at`), the
sign-in throttle (`auth_failure`), the audit log (`audit`), one case per case number (duplicates
renumbered `<number>-2`, `-3`, ... and logged for pullers; then a unique index), and times no
reader can read (PostgreSQL stored year 10000 from `9999-12-31T23:59:59-12:00`) set to now.

Revision ID: 0003
Revises: 0002 (0002_lifecycle, from another branch); 0001 until that lands
"""


import sqlalchemy as sa
from alembic import op

from models.store.db_types import AwareDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, column, nullable) of every stored time a reader parses.
_TIMES = [("case", "created_at", False), ("case", "updated_at", False), ("case", "due_at", True),
          ("case", "resolved_at", True), ("caseevent", "at", False),
          ("mutation", "client_at", True), ("client", "oldest_at", True)]


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("taken_at", AwareDateTime(), nullable=True))
    op.create_table(
        "auth_failure",
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("window_start", AwareDateTime(), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", AwareDateTime(), nullable=False, index=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("case_count", sa.Integer, nullable=False),
        sa.Column("case_ids", sa.JSON, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_user_at", "audit", ["user_id", "at"])
    conn = op.get_bind()
    changed = _repair_times(conn) if conn.dialect.name == "postgresql" else set()
    changed |= _renumber_duplicates(conn)
    if changed:
        version = conn.execute(sa.text(
            "UPDATE sync_clock SET version = version + 1 WHERE id = 1 RETURNING version")).scalar_one()
        conn.execute(sa.text("INSERT INTO changelog (version, entity, entity_id) "
                             "VALUES (:v, 'case', :id)"), [{"v": version, "id": i} for i in changed])
    op.drop_index("ix_case_case_no", table_name="case")
    op.create_index("ux_case_case_no", "case", ["case_no"], unique=True)


def _repair_times(conn) -> set[str]:
    """Times outside what Python (and so every reader) can hold: now, or NULL where allowed."""
    changed: set[str] = set()
    for table, column, nullable in _TIMES:
        value = "NULL" if nullable else "now()"
        result = conn.execute(sa.text(
            f'UPDATE "{table}" SET {column} = {value} WHERE {column} >= \'9999-12-31 00:00+00\' '
            f"OR {column} < '0001-01-02 00:00+00' RETURNING "
            + ("id" if table == "case" else "case_id" if table == "caseevent" else "NULL")))
        changed |= {r[0] for r in result if r[0]}
    return changed


def _renumber_duplicates(conn) -> set[str]:
    rows = conn.execute(sa.text(
        'SELECT id, case_no FROM "case" WHERE case_no IN '
        '(SELECT case_no FROM "case" GROUP BY case_no HAVING count(*) > 1) '
        "ORDER BY case_no, created_at, id")).all()
    if not rows:
        return set()
    taken = {r[0] for r in conn.execute(sa.text('SELECT DISTINCT case_no FROM "case"'))}
    changed: set[str] = set()
    seen: set[str] = set()
    for case_id, number in rows:
        if number not in seen:
            seen.add(number)
            continue
        k = 2
        while f"{number[:56]}-{k}" in taken:
            k += 1
        new = f"{number[:56]}-{k}"
        taken.add(new)
        conn.execute(sa.text('UPDATE "case" SET case_no = :n WHERE id = :i'), {"n": new, "i": case_id})
        changed.add(case_id)
    return changed


def downgrade() -> None:
    op.drop_index("ux_case_case_no", table_name="case")
    op.create_index("ix_case_case_no", "case", ["case_no"])
    op.drop_index("ix_audit_user_at", table_name="audit")
    op.drop_table("audit")
    op.drop_table("auth_failure")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("taken_at")
