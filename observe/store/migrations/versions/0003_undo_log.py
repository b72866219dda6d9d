"""Undo log fixes: event ids are never reused, and a cleared redo stack keeps its
idempotency keys.

- ``events`` on SQLite gets AUTOINCREMENT: without it SQLite hands out a deleted
  highest id again, and undoing that delete in another observation would collide.
  (No table references ``events``, so copying it cascades nowhere. PostgreSQL
  sequences never reuse ids.)
- ``actions.discarded``: a new action no longer deletes the undone ones but marks
  them discarded, so a keypress the browser re-sends after an undo is still
  recognised by its (client_key, client_seq) and never stored twice.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("actions", sa.Column("discarded", sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("events", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("discarded")
