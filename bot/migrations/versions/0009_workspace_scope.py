"""Every row belongs to one workspace (bot.workspaces): each table gains ``workspace``
(``'default'`` for every row there is, the single-workspace mode), first in each key made
of chat or Quantive ids, so that two workspaces may hold the same ids; indexes lead with
it. Two tables are added: ``quantive_connections`` (one per workspace, the token as
ciphertext only) and ``workspace_settings``.

The autoincrement ids (``awards.id``, ``award_outbox.id``, ``chat_outbox.id``) stay global
keys, and so does ``awards.give_id``, which is an ``award_outbox.id``.

Downgrade refuses while any row belongs to a workspace other than ``'default'``: dropping
the column would merge workspaces, and their equal ids would collide. Otherwise it puts
back the 0008 keys and drops the two new tables (with the default workspace's settings).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Every table at 0008.
TABLES = (
    "identities",
    "chat_users_by_email",
    "awards",
    "slack_messages",
    "teams_messages",
    "decision_claims",
    "digest_subscriptions",
    "digest_claims",
    "award_outbox",
    "chat_outbox",
    "seen_requests",
    "conversations",
    "recap_subscriptions",
    "sync_leases",
)

#: Primary keys made of chat or Quantive ids, as at 0008; ``workspace`` goes first.
KEYS = {
    "identities": ["platform", "chat_user_id"],
    "chat_users_by_email": ["platform", "email"],
    "slack_messages": ["channel", "ts", "assignment_id"],
    "teams_messages": ["conversation_id", "activity_id", "assignment_id"],
    "decision_claims": ["assignment_id"],
    "digest_subscriptions": ["platform", "channel"],
    "digest_claims": ["platform", "channel", "day"],
    "seen_requests": ["key"],
    "conversations": ["platform", "conversation_id"],
    "recap_subscriptions": ["platform", "channel"],
    "sync_leases": ["name"],
}

#: Indexes at 0008: (table, columns, unique); each is rebuilt with ``workspace`` first.
INDEXES = {
    "awards_by_giver": ("awards", ["platform", "giver_chat_id", "given_at"], False),
    "awards_by_time": ("awards", ["given_at"], False),
    "awards_by_quantive_id": ("awards", ["quantive_assignment_id"], False),
    "slack_messages_by_assignment": ("slack_messages", ["assignment_id"], False),
    "teams_messages_by_assignment": ("teams_messages", ["assignment_id"], False),
    "award_outbox_due": ("award_outbox", ["state", "next_attempt_at"], False),
    "chat_outbox_by_key": ("chat_outbox", ["platform", "idempotency_key"], True),
    "chat_outbox_due": ("chat_outbox", ["state", "next_attempt_at"], False),
    "seen_requests_by_time": ("seen_requests", ["seen_at"], False),
    "conversations_by_user": ("conversations", ["platform", "user_id", "kind"], False),
}

#: The names PostgreSQL gave the keys, which SQLite leaves unnamed: reflection names them
#: the same way, so that one ``drop_constraint`` call works on both backends.
NAMES = {"pk": "%(table_name)s_pkey", "uq": "%(table_name)s_%(column_0_name)s_key"}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _rebuilt(table: str, **kw: Any) -> Iterator[Any]:
    """``batch_alter_table``: on SQLite, which cannot change a key in place, the table is
    copied into its new shape (every row kept); PostgreSQL alters it in place."""
    with op.batch_alter_table(
        table, recreate="always" if _sqlite() else "auto", naming_convention=NAMES, **kw
    ) as batch:
        yield batch


@contextmanager
def _counter_kept(table: str) -> Iterator[None]:
    """Keep SQLite's AUTOINCREMENT counter across a copy of ``table``: a copy restarts it
    at the highest id left, and an id of a deleted row would be given again."""
    if not _sqlite():
        yield
        return
    bind = op.get_bind()
    query = sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t")
    seq = bind.execute(query, {"t": table}).scalar()
    yield
    if seq is not None:
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = MAX(seq, :seq) WHERE name = :t"),
            {"seq": seq, "t": table},
        )
        # The copy is empty when the table was: then there is no row to update.
        bind.execute(
            sa.text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT :t, :seq WHERE NOT EXISTS"
                " (SELECT 1 FROM sqlite_sequence WHERE name = :t)"
            ),
            {"seq": seq, "t": table},
        )


def _awards_unique(batch: Any, *, scoped: bool) -> None:
    """Swap the award key: (workspace, assignment_id) for assignment_id, or back."""
    if scoped:
        batch.drop_constraint("awards_assignment_id_key", type_="unique")
        batch.create_unique_constraint(
            "awards_workspace_assignment_id_key", ["workspace", "assignment_id"]
        )
    else:
        batch.drop_constraint("awards_workspace_assignment_id_key", type_="unique")
        batch.create_unique_constraint("awards_assignment_id_key", ["assignment_id"])


def upgrade() -> None:
    """Add ``workspace`` everywhere, put it first in the keys and indexes, and create
    ``quantive_connections`` and ``workspace_settings``."""
    for name, (table, _, _) in INDEXES.items():
        op.drop_index(name, table)
    for table in TABLES:
        # In place on both backends (a constant default fills every row), which keeps the
        # outboxes' AUTOINCREMENT: their keys are global ids and do not change.
        op.add_column(
            table, sa.Column("workspace", sa.Text, nullable=False, server_default="default")
        )
    for table, key in KEYS.items():
        with _rebuilt(table) as batch:
            batch.drop_constraint(f"{table}_pkey", type_="primary")
            batch.create_primary_key(f"{table}_pkey", ["workspace", *key])
    with (
        _counter_kept("awards"),
        _rebuilt("awards", table_kwargs={"sqlite_autoincrement": True}) as batch,
    ):
        _awards_unique(batch, scoped=True)
    for name, (table, columns, unique) in INDEXES.items():
        op.create_index(name, table, ["workspace", *columns], unique=unique)
    # The approval sync and the held list read awards by status.
    op.create_index("awards_by_status", "awards", ["workspace", "status"])
    op.create_table(
        "quantive_connections",
        sa.Column("workspace", sa.Text, primary_key=True),
        sa.Column("quantive_url", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("token_encrypted", sa.Text, nullable=False),
        sa.Column("token_last4", sa.Text, nullable=False),
        sa.Column("connected_by", sa.Text, nullable=False),
        sa.Column("checked_at", sa.Float),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "workspace_settings",
        sa.Column("workspace", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Back to 0008's keys, unless rows of several workspaces would merge."""
    bind = op.get_bind()
    for table in (*TABLES, "quantive_connections", "workspace_settings"):
        query = sa.text(f"SELECT 1 FROM {table} WHERE workspace <> 'default' LIMIT 1")
        if bind.execute(query).first() is not None:
            raise RuntimeError(
                f"0009 cannot be downgraded: {table} holds rows of workspaces other than "
                "'default', which 0008 would merge; restore a backup taken before 0009"
            )
    op.drop_table("workspace_settings")
    op.drop_table("quantive_connections")
    op.drop_index("awards_by_status", "awards")
    for name, (table, _, _) in INDEXES.items():
        op.drop_index(name, table)
    with (
        _counter_kept("awards"),
        _rebuilt("awards", table_kwargs={"sqlite_autoincrement": True}) as batch,
    ):
        _awards_unique(batch, scoped=False)
    for table, key in KEYS.items():
        with _rebuilt(table) as batch:
            batch.drop_constraint(f"{table}_pkey", type_="primary")
            batch.create_primary_key(f"{table}_pkey", key)
    for table in TABLES:
        # In place (SQLite 3.35+): the column is in no key or index any more, and a copy
        # would lose the outboxes' AUTOINCREMENT.
        op.drop_column(table, "workspace")
    for name, (table, columns, unique) in INDEXES.items():
        op.create_index(name, table, columns, unique=unique)
