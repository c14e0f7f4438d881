"""Chat ids carry their platform: a person, a message and a digest subscription say
whether they are Slack's or Teams'. Every existing row is Slack's.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import SAWarning

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Each table that holds chat ids, and its primary key without the platform.
KEYS = {
    "identities": ["chat_user_id"],
    "chat_users_by_email": ["email"],
    "award_messages": ["channel", "ts", "assignment_id"],
    "digest_subscriptions": ["channel"],
    "digest_claims": ["channel", "day"],
}


def _rekey(table: str, key: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot change a primary key in place: batch mode copies the table. It
        # warns that the copy's key differs from the reflected one, which is the point.
        with (
            warnings.catch_warnings(action="ignore", category=SAWarning),
            op.batch_alter_table(table, recreate="always") as batch,
        ):
            if key[0] == "platform":
                batch.add_column(
                    sa.Column("platform", sa.Text, nullable=False, server_default="slack")
                )
            batch.create_primary_key(f"{table}_pkey", key)
        return
    if key[0] == "platform":
        op.add_column(table, sa.Column("platform", sa.Text, nullable=False, server_default="slack"))
    op.drop_constraint(f"{table}_pkey", table, type_="primary")
    op.create_primary_key(f"{table}_pkey", table, key)


def upgrade() -> None:
    """Add ``platform`` (``slack`` for existing rows) to each table and its primary key."""
    for table, key in KEYS.items():
        _rekey(table, ["platform", *key])


def downgrade() -> None:
    """Drop ``platform``; fails if Teams rows share ids with Slack rows."""
    for table, key in KEYS.items():
        _rekey(table, key)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("platform")
