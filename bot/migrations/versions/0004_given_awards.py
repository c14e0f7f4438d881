"""Every award made or requested through the bot (for give limits, leaderboards by period,
the weekly recap and the HR export), and the conversations subscribed to the recap.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``given_awards`` and ``recap_subscriptions``."""
    op.create_table(
        "given_awards",
        sa.Column("give_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("assignment_id", sa.Text),
        sa.Column("badge_id", sa.Text, nullable=False),
        sa.Column("badge_name", sa.Text, nullable=False),
        sa.Column("giver_chat_id", sa.Text, nullable=False),
        sa.Column("giver_email", sa.Text, nullable=False, server_default=""),
        sa.Column("giver_name", sa.Text, nullable=False, server_default=""),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("recipient_count", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("given_at", sa.Float, nullable=False),
        sa.Column("decided_at", sa.Float),
        sa.Column("decided_by", sa.Text, nullable=False, server_default=""),
    )
    op.create_index(
        "given_awards_by_giver", "given_awards", ["platform", "giver_chat_id", "given_at"]
    )
    op.create_index("given_awards_by_time", "given_awards", ["given_at"])
    op.create_index("given_awards_by_assignment", "given_awards", ["assignment_id"])
    op.create_table(
        "recap_subscriptions",
        sa.Column("platform", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("subscribed_by", sa.Text, nullable=False),
        sa.Column("subscribed_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Drop ``given_awards`` and ``recap_subscriptions``."""
    op.drop_table("recap_subscriptions")
    for index in ("given_awards_by_giver", "given_awards_by_time", "given_awards_by_assignment"):
        op.drop_index(index, "given_awards")
    op.drop_table("given_awards")
