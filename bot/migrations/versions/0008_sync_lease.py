"""The lease that lets one process at a time read Quantive's approval queue
(bot.sync): ``sync_leases``, one row per leased job, made by the first process to run it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``sync_leases``."""
    op.create_table(
        "sync_leases",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("leased_until", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Drop ``sync_leases``: a lease is only ever a few seconds' worth of state."""
    op.drop_table("sync_leases")
