"""The coded extent and where imported data came from.

- ``observations.coded_s``: E, where the observer finished (DOMAIN §9.3); None while the
  observation is in progress.
- ``sessions.source``: for an imported session, the file and source observation it came
  from (BORIS observation id and description, ELAN file name, our own tidy file name).
- ``imports``: one row per import (file SHA-256, file name, source observation ids, the
  sessions it created, when and by whom), so the same file or BORIS observation is not
  imported twice by accident (DOMAIN §9.7).

Columns are added in place (``ALTER TABLE ... ADD COLUMN``), never by copying a table
(see 0002).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("observations", sa.Column("coded_s", sa.Float(), nullable=True))
    op.add_column("sessions", sa.Column("source", sa.Text(), nullable=True))
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("source_format", sa.String(length=40), nullable=False),
        sa.Column("source_ids", sa.Text(), nullable=False),
        sa.Column("sessions", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imports_sha256", "imports", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_imports_sha256", table_name="imports")
    op.drop_table("imports")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("observations") as batch:
        batch.drop_column("coded_s")
