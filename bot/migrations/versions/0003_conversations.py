"""Where the bot can write to people proactively: every conversation an activity came
from (a personal chat, a channel, a group chat), with the connector and tenant it named.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``conversations``."""
    op.create_table(
        "conversations",
        sa.Column("platform", sa.Text, primary_key=True),
        sa.Column("conversation_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("service_url", sa.Text, nullable=False),
        sa.Column("tenant_id", sa.Text, nullable=False, server_default=""),
        sa.Column("user_id", sa.Text),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("conversations_by_user", "conversations", ["platform", "user_id", "kind"])


def downgrade() -> None:
    """Drop ``conversations``."""
    op.drop_index("conversations_by_user", "conversations")
    op.drop_table("conversations")
