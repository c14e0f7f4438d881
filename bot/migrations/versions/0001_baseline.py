"""The schema as the bot kept it before Alembic, made the baseline.

Databases written before Alembic have these tables but no ``alembic_version``, and the
oldest lack the columns added later. So this step creates only what is missing and adds
only the missing columns: an empty database, a file from the first release and a file
from the last pre-Alembic release all end at the same schema, with every row kept.

The tables are written out here, not imported from bot.store.tables, because a migration
must describe the schema of its own time, whatever the code later becomes.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_EMPTY_TEXT = sa.text("''")
_ZERO = sa.text("0")


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    col = sa.Column
    text, real, integer = sa.Text, sa.Float, sa.Integer
    return [
        sa.Table(
            "identities",
            metadata,
            col("chat_user_id", text, primary_key=True),
            col("quantive_user_id", text, nullable=False),
            col("email", text, nullable=False),
            col("name", text, nullable=False),
            col("fetched_at", real, nullable=False),
        ),
        sa.Table(
            "chat_users_by_email",
            metadata,
            col("email", text, primary_key=True),
            col("chat_user_id", text),
            col("fetched_at", real, nullable=False),
        ),
        sa.Table(
            "awards",
            metadata,
            col("assignment_id", text, primary_key=True),
            col("view", text, nullable=False),
            col("updated_at", real, nullable=False),
        ),
        sa.Table(
            "award_messages",
            metadata,
            col("channel", text, primary_key=True),
            col("ts", text, primary_key=True),
            col("assignment_id", text, primary_key=True),
            col("kind", text, nullable=False),
            sa.Index("award_messages_by_assignment", "assignment_id"),
        ),
        sa.Table(
            "decision_claims",
            metadata,
            col("assignment_id", text, primary_key=True),
            col("decision", text, nullable=False),
            col("decided_by", text, nullable=False),
            col("reason", text, nullable=False, server_default=_EMPTY_TEXT),
            col("claimed_at", real, nullable=False),
            col("done_at", real),
        ),
        sa.Table(
            "digest_subscriptions",
            metadata,
            col("channel", text, primary_key=True),
            col("subscribed_by", text, nullable=False),
            col("subscribed_at", real, nullable=False),
        ),
        sa.Table(
            "digest_claims",
            metadata,
            col("channel", text, primary_key=True),
            col("day", text, primary_key=True),
            col("claimed_at", real, nullable=False),
            col("ts", text),
            col("assignment_ids", text, nullable=False, server_default=sa.text("'[]'")),
            col("hidden_count", integer, nullable=False, server_default=_ZERO),
        ),
        sa.Table(
            "award_outbox",
            metadata,
            col("id", integer, primary_key=True, autoincrement=True),
            col("state", text, nullable=False),
            col("request", text, nullable=False),
            col("view", text, nullable=False),
            col("attempts", integer, nullable=False, server_default=_ZERO),
            col("next_attempt_at", real, nullable=False),
            col("updated_at", real, nullable=False),
            col("last_error", text, nullable=False, server_default=_EMPTY_TEXT),
            *_added_columns()["award_outbox"],
            sa.Index("award_outbox_due", "state", "next_attempt_at"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "slack_outbox",
            metadata,
            col("id", integer, primary_key=True, autoincrement=True),
            col("operation", text, nullable=False),
            col("attempts", integer, nullable=False, server_default=_ZERO),
            col("next_attempt_at", real, nullable=False),
            col("last_error", text, nullable=False, server_default=_EMPTY_TEXT),
            *_added_columns()["slack_outbox"],
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "seen_requests",
            metadata,
            col("key", text, primary_key=True),
            col("seen_at", real, nullable=False),
            sa.Index("seen_requests_by_time", "seen_at"),
        ),
    ]


def _added_columns() -> dict[str, list[sa.Column]]:
    """Columns that releases before Alembic added to existing tables at start-up."""
    return {
        "award_outbox": [
            sa.Column("sent_at", sa.Float),
            sa.Column("evidence", sa.Text, nullable=False, server_default=sa.text("'{}'")),
            sa.Column("assignment_id", sa.Text),
        ],
        "slack_outbox": [
            sa.Column("leased_until", sa.Float, nullable=False, server_default=_ZERO),
        ],
    }


def upgrade() -> None:
    """Create the missing tables, then add the columns older files lack."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    for table in _tables(sa.MetaData()):
        if table.name not in existing:
            table.create(bind)
    for table_name, columns in _added_columns().items():
        if table_name not in existing:
            continue
        present = {c["name"] for c in inspector.get_columns(table_name)}
        for column in columns:
            if column.name not in present:
                op.add_column(table_name, column)


def downgrade() -> None:
    """Drop every table (there is nothing before the baseline)."""
    for table in reversed(_tables(sa.MetaData())):
        op.drop_table(table.name)
