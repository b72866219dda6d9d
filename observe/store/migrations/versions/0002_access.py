"""Access: passwords, counselor links, supervisions, consent, the audit trail and
failed sign-ins (observe.governance.access).

Columns are added in place (``ALTER TABLE ... ADD COLUMN``), never by copying a table:
on SQLite a batch copy drops the old table, and with foreign keys on that would cascade
into sessions and events.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str) -> None:
    """A nullable ``counselor_id`` column referencing counselors (the store clears it
    before it deletes a counselor, so no ON DELETE action is needed)."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite accepts a REFERENCES clause on ADD COLUMN when the default is NULL
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES counselors (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(f"fk_{table}_{column}", table, "counselors", [column], ["id"])


def upgrade() -> None:
    op.add_column("users", sa.Column("password_hash", sa.Text(), nullable=True))
    _add_reference("users", "counselor_id")
    _add_reference("clients", "counselor_id")
    op.create_table(
        "supervisions",
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("counselor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["supervisor_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["counselor_id"], ["counselors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("supervisor_id", "counselor_id"),
    )
    op.create_table(
        "consents",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("research_use", sa.Boolean(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_client", "audit", ["client_id"], unique=False)
    op.create_table(
        "sign_in_failures",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_index("ix_audit_client", table_name="audit")
    op.drop_table("audit")
    op.drop_table("consents")
    op.drop_table("supervisions")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("counselor_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("counselor_id")
        batch.drop_column("password_hash")
