"""Several app servers on one database (issue 16): what one replica signs, every replica checks.

- ``workspace_secrets``: the workspace's signing secret (video links), made here once, in the
  migration's transaction, so every app process on the database reads the same one. The
  ``OBSERVE_SECRET`` environment variable overrides it (observe.store.secret).
- ``sign_in_records.ticket_hash`` / ``ticket_expires_s``: the one-time ticket the sign-in form
  hands to the cookie route (observe.ui.signin_routes) lives with its sign-in record, as a
  SHA-256, so the cookie can be fetched from any replica behind the proxy.

Columns are added in place, never by copying a table (see 0002).

Revision ID: 0007
Revises: 0006
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "workspace_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(table, [{"name": "signing", "value": secrets.token_hex(32)}])
    op.add_column("sign_in_records", sa.Column("ticket_hash", sa.String(length=64), nullable=True))
    op.add_column("sign_in_records", sa.Column("ticket_expires_s", sa.Float(), nullable=True))
    op.create_index("ix_sign_in_records_ticket", "sign_in_records", ["ticket_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_sign_in_records_ticket", table_name="sign_in_records")
    with op.batch_alter_table("sign_in_records") as batch:
        batch.drop_column("ticket_expires_s")
        batch.drop_column("ticket_hash")
    op.drop_table("workspace_secrets")
