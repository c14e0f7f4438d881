"""The bot's own state, on SQLite or PostgreSQL, through SQLAlchemy Core (async).

Each table family lives in its own module; :class:`Store` puts them together so a process
holds one engine and one connection pool:

- ``identities``: chat user to Quantive user, and email to chat user (a shared cache);
- ``award_records``: the award records, and each platform's messages that show them;
- ``decisions``: decision claims (the first approver's click wins);
- ``digests``: digest subscriptions and the once-a-day claim per channel;
- ``award_outbox``: gives kept until Quantive shows them;
- ``chat_outbox``: chat posts (Slack's and Teams') waiting for a retry;
- ``seen_requests``: request ids already handled;
- ``conversations``: where the bot may write proactively (Teams' conversation references);
- ``sync_leases``: the lease on the sync with Quantive's approval queue (bot.sync);
- ``connections``: each workspace's Quantive connection (the token as ciphertext);
- ``workspace_settings``: the settings an admin changed for one workspace;
- ``dashboard``: the dashboard's figures, counted in SQL (``award_recipients`` holds each
  award's recipients as columns for them).

Every row belongs to one workspace (bot.workspaces). ``Store(url)`` reads and writes the
``default`` workspace (the single-workspace mode); ``store.for_workspace(key)`` is another
workspace's view over the same engine. Only ``all_connections`` and
``connected_workspaces`` read across workspaces.

The schema is versioned with Alembic (``schema``); run ``python -m bot migrate``.
"""

from __future__ import annotations

from bot.store.award_outbox import AwardOutbox, OutboxAward
from bot.store.award_records import AwardRecords, MessageRef
from bot.store.chat_outbox import ChatOutbox, ChatPost
from bot.store.connections import ConnectionRow, QuantiveConnections
from bot.store.conversations import ConversationRef, Conversations
from bot.store.dashboard import DashboardQueries, DashboardRows, FigureScope
from bot.store.database import DatabaseUrlError, describe, driver_url
from bot.store.decisions import DecisionClaim, DecisionClaims
from bot.store.digests import DigestClaims, DigestPost
from bot.store.due_work import DueWork
from bot.store.identities import Identity, IdentityCache
from bot.store.schema import SchemaBehind, check_schema, migrate
from bot.store.seen_requests import SeenRequests
from bot.store.sync_leases import SyncLeases, WaitingKey
from bot.store.workspace_settings import WorkspaceSettings


class Store(
    IdentityCache,
    AwardRecords,
    DecisionClaims,
    DigestClaims,
    AwardOutbox,
    ChatOutbox,
    SeenRequests,
    Conversations,
    SyncLeases,
    QuantiveConnections,
    WorkspaceSettings,
    DueWork,
    DashboardQueries,
):
    """All of the bot's persistent state. One instance per process, for the ``default``
    workspace; :meth:`for_workspace` gives each other workspace's view of it. Close the
    instance with :meth:`aclose` (closing a view does nothing)."""

    async def check_schema(self) -> None:
        """Raise :class:`SchemaBehind` unless the database is at the code's schema."""
        await check_schema(self.engine)


__all__ = [
    "ChatPost",
    "ConnectionRow",
    "ConversationRef",
    "DashboardRows",
    "DatabaseUrlError",
    "DecisionClaim",
    "DigestPost",
    "FigureScope",
    "Identity",
    "MessageRef",
    "OutboxAward",
    "SchemaBehind",
    "Store",
    "WaitingKey",
    "describe",
    "driver_url",
    "migrate",
]
