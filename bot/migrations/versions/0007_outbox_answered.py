"""The award outbox notes whether the last assign call was answered (a 5xx): Quantive is
done with such a call, so the award is looked for at once and, when it is not there, sent
again without waiting ``QUANTIVE_SETTLE_SECONDS``, which only an unanswered call needs.

Rows already waiting count as unanswered: the safe reading, since they may be timeouts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``award_outbox.answered`` (0 or 1), 0 for every existing row."""
    op.add_column(
        "award_outbox",
        sa.Column("answered", sa.Integer, nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    """Drop ``award_outbox.answered``; waiting rows then wait the settle time again."""
    with op.batch_alter_table("award_outbox") as batch:
        batch.drop_column("answered")
