"""The furthest video position an observer reached (issue 14, DOMAIN §9.3).

- ``observations.reached_s``: the largest video time (or live clock) the coder saw while
  coding, reported by the browser; the default coded extent E is the later of the last coded
  time and this position, clipped to the session. None until the coder reports one.

Added in place (``ALTER TABLE ... ADD COLUMN``), never by copying a table (see 0002).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("observations", sa.Column("reached_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observations") as batch:
        batch.drop_column("reached_s")
