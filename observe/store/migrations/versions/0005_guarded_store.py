"""The guarded store: a data version bumped by every committed change, and the blind-coding
marks (a session once every coder had finished, an observation reopened after that).

- ``data_version``: one row; every write transaction adds one (dashboard caches key on it).
- ``sessions.unblinded_at``: when every observation of the session (two or more) was first
  finished, so each observer could see the others' coding; from then on reopening one is a
  supervisor's action.
- ``observations.reopened_unblinded``: this observation was reopened after its session had
  been unblinded (its coder may have seen the others'); agreement views show the mark.

Columns are added in place, never by copying a table (see 0002).

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.execute(sa.text("INSERT INTO data_version (id, version) VALUES (1, 1)"))
    op.add_column("sessions", sa.Column("unblinded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "observations",
        sa.Column("reopened_unblinded", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("observations") as batch:
        batch.drop_column("reopened_unblinded")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("unblinded_at")
    op.drop_table("data_version")
