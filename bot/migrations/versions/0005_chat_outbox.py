"""One chat outbox for both platforms: ``slack_outbox`` becomes ``chat_outbox``, with a
platform, a unique idempotency key, a state, and whether the last try went unanswered.

Queued Slack calls move over as they are (platform ``slack``, keyed by their old id), so
an upgrade loses none of them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``chat_outbox``, move the queued Slack calls into it, drop ``slack_outbox``."""
    op.create_table(
        "chat_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("unanswered", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("leased_until", sa.Float, nullable=False, server_default=sa.text("0")),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False, server_default=sa.text("''")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "chat_outbox_by_key", "chat_outbox", ["platform", "idempotency_key"], unique=True
    )
    op.create_index("chat_outbox_due", "chat_outbox", ["state", "next_attempt_at"])
    # The old rows never record when they were first tried; their next attempt is the
    # closest time there is. Their leases are dropped: no worker of the old code runs on.
    op.execute(
        "INSERT INTO chat_outbox (platform, idempotency_key, operation, state, unanswered,"
        " attempts, created_at, next_attempt_at, leased_until, updated_at, last_error)"
        " SELECT 'slack', 'slack-outbox-' || CAST(id AS TEXT), operation, 'queued', 0,"
        " attempts, next_attempt_at, next_attempt_at, 0, next_attempt_at, last_error"
        " FROM slack_outbox ORDER BY id"
    )
    op.drop_table("slack_outbox")


def downgrade() -> None:
    """Bring back ``slack_outbox`` with the Slack calls still waiting; drop the rest."""
    op.create_table(
        "slack_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("leased_until", sa.Float, nullable=False, server_default=sa.text("0")),
        sqlite_autoincrement=True,
    )
    op.execute(
        "INSERT INTO slack_outbox (operation, attempts, next_attempt_at, last_error)"
        " SELECT operation, attempts, next_attempt_at, last_error FROM chat_outbox"
        " WHERE platform = 'slack' AND state IN ('queued', 'leased') ORDER BY id"
    )
    for index in ("chat_outbox_by_key", "chat_outbox_due"):
        op.drop_index(index, "chat_outbox")
    op.drop_table("chat_outbox")
