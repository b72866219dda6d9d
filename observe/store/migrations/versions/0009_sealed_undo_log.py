"""Undo never crosses a finish: the undo log of every observation already finished is sealed
(its actions marked ``discarded``, as :meth:`Store.finish_observation` now does), so a later
reopen cannot undo what was coded, or redo what was undone, before the finish.

Data only; the downgrade leaves the marks (an older version reads them as "not redoable").

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE actions SET discarded = :sealed WHERE discarded = :open AND observation_id IN "
            "(SELECT id FROM observations WHERE status = 'finished')"
        ).bindparams(sealed=True, open=False)
    )
    op.execute(
        sa.text("UPDATE observations SET has_redo = :none WHERE status = 'finished'").bindparams(none=False)
    )


def downgrade() -> None:
    pass
