"""The bot's tables, as SQLAlchemy Core metadata: the schema the code expects.

Alembic's migrations in ``bot/migrations`` build this schema; a test compares the two on
SQLite and PostgreSQL. Every row belongs to one workspace (bot.workspaces), so every
table has ``workspace``, first in each key made of chat or Quantive ids and in each index
(bot.store.database.Database filters every query by it). Chat ids are unique only within
a platform, so each table that holds them has ``platform`` (bot.chat.Platform) next in its
primary key. The autoincrement ids stay global keys. Times are Unix
seconds (float); JSON documents are stored as text so that both backends read them the
same way.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

identities = Table(
    "identities",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("platform", Text, primary_key=True, server_default=text("'slack'")),
    Column("chat_user_id", Text, primary_key=True),
    Column("quantive_user_id", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("fetched_at", Float, nullable=False),
)

chat_users_by_email = Table(
    "chat_users_by_email",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("platform", Text, primary_key=True, server_default=text("'slack'")),
    Column("email", Text, primary_key=True),
    Column("chat_user_id", Text),
    Column("fetched_at", Float, nullable=False),
)

#: The award record (bot.awards.record): one row per award the bot gave or showed.
#: ``assignment_id`` is the award's key (Quantive's id, or ``held-<give>``), NULL until
#: Quantive answers; ``give_id`` is the give's row in award_outbox, NULL for an award given
#: in Quantive. ``giver``, ``recipients`` and ``decided_by`` are JSON documents; the giver's
#: chat id and the decider's email are columns too, for the limits and the export.
awards = Table(
    "awards",
    metadata,
    Column("workspace", Text, nullable=False, server_default=text("'default'")),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("assignment_id", Text),
    Column("quantive_assignment_id", Text),
    Column("give_id", Integer, unique=True),
    Column("platform", Text),
    Column("badge_id", Text, nullable=False),
    Column("badge_name", Text, nullable=False),
    Column("badge_icon", Text, nullable=False, server_default=text("''")),
    Column("giver", Text, nullable=False),
    Column("giver_chat_id", Text, nullable=False, server_default=text("''")),
    Column("recipients", Text, nullable=False),
    Column("recipient_count", Integer, nullable=False),
    Column("comment", Text, nullable=False, server_default=text("''")),
    Column("status", Text, nullable=False),
    Column("origin_channel", Text),
    Column("given_at", Float),
    Column("assigned_on", Text),
    Column("decided_at", Float),
    Column("decided_by", Text),
    Column("decided_by_email", Text, nullable=False, server_default=text("''")),
    Column("reason", Text, nullable=False, server_default=text("''")),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("workspace", "assignment_id", name="awards_workspace_assignment_id_key"),
    Index("awards_by_giver", "workspace", "platform", "giver_chat_id", "given_at"),
    Index("awards_by_quantive_id", "workspace", "quantive_assignment_id"),
    # The dashboard's (bot.store.dashboard), since 0011. A period: the columns its figures
    # group by ride along, so a year of awards is counted from the index alone (it also
    # serves the reads by time that awards_by_time served). A status within a period (the
    # queue), which also serves the lookups by status alone that awards_by_status served;
    # a badge within one; and the decisions of a period, covered too.
    Index(
        "awards_by_time_figures",
        "workspace",
        "given_at",
        "status",
        "badge_id",
        "platform",
        "giver_chat_id",
    ),
    Index("awards_by_status_time", "workspace", "status", "given_at"),
    Index("awards_by_badge_time", "workspace", "badge_id", "given_at"),
    Index("awards_by_decision_time", "workspace", "decided_at", "status", "given_at", "badge_id"),
    sqlite_autoincrement=True,
)

#: Each recipient of each award, as columns (bot.store.award_recipients): ``awards``
#: keeps them as a JSON document, which no index can reach, and the dashboard counts by
#: person and team. Rewritten by the store with every write of an award, in the same
#: transaction. ``team_id`` / ``team_name`` are the Quantive team the recipient counts
#: for: the team itself for a team recipient; NULL for a person, because the bot never
#: learns a person's teams (see bot.store.award_recipients). ``given_at``, ``status`` and
#: ``badge_id`` are the award's, copied so that the counts per person read this table
#: alone (measured: joining each recipient to its award row made them 5 times slower).
award_recipients = Table(
    "award_recipients",
    metadata,
    Column("workspace", Text, nullable=False),
    Column(
        "award_id",
        Integer,
        ForeignKey("awards.id", ondelete="CASCADE", name="award_recipients_award_id_fkey"),
        primary_key=True,
    ),
    #: The recipient's place in the award's list, so one award may name a person twice
    #: (as a record from Quantive might) without a key clash.
    Column("position", Integer, primary_key=True),
    Column("quantive_id", Text),
    Column("name", Text, nullable=False),
    Column("is_team", Integer, nullable=False, server_default=text("0")),
    Column("team_id", Text),
    Column("team_name", Text),
    Column("given_at", Float),
    Column("status", Text, nullable=False),
    Column("badge_id", Text, nullable=False),
    Index("award_recipients_by_time", "workspace", "given_at"),
    Index("award_recipients_by_person", "workspace", "quantive_id"),
    Index("award_recipients_by_team", "workspace", "team_id"),
)

#: Slack messages that show an award (a request or a digest), to redraw them in place.
slack_messages = Table(
    "slack_messages",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("channel", Text, primary_key=True),
    Column("ts", Text, primary_key=True),
    Column("assignment_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Index("slack_messages_by_assignment", "workspace", "assignment_id"),
)

#: Teams cards that show an award: the conversation and the activity to replace.
teams_messages = Table(
    "teams_messages",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("conversation_id", Text, primary_key=True),
    Column("activity_id", Text, primary_key=True),
    Column("assignment_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Index("teams_messages_by_assignment", "workspace", "assignment_id"),
)

decision_claims = Table(
    "decision_claims",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("assignment_id", Text, primary_key=True),
    Column("decision", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=text("''")),
    Column("claimed_at", Float, nullable=False),
    Column("done_at", Float),
    Column("decider", Text, nullable=False, server_default=text("'{}'")),
)

digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("platform", Text, primary_key=True, server_default=text("'slack'")),
    Column("channel", Text, primary_key=True),
    Column("subscribed_by", Text, nullable=False),
    Column("subscribed_at", Float, nullable=False),
)

digest_claims = Table(
    "digest_claims",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("platform", Text, primary_key=True, server_default=text("'slack'")),
    Column("channel", Text, primary_key=True),
    Column("day", Text, primary_key=True),
    Column("claimed_at", Float, nullable=False),
    Column("ts", Text),
    Column("assignment_ids", Text, nullable=False, server_default=text("'[]'")),
    Column("hidden_count", Integer, nullable=False, server_default=text("0")),
)

award_outbox = Table(
    "award_outbox",
    metadata,
    Column("workspace", Text, nullable=False, server_default=text("'default'")),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", Text, nullable=False),
    Column("request", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("last_error", Text, nullable=False, server_default=text("''")),
    Column("sent_at", Float),
    Column("evidence", Text, nullable=False, server_default=text("'{}'")),
    Column("assignment_id", Text),
    # 1 when the last assign call got an answer (a 5xx): no settle wait before a resend.
    Column("answered", Integer, nullable=False, server_default=text("0")),
    Index("award_outbox_due", "workspace", "state", "next_attempt_at"),
    sqlite_autoincrement=True,
)

#: Chat posts of either platform waiting for a retry (bot.store.chat_outbox): one row per
#: notice, by its idempotency key within its platform, kept a while after it is finished.
chat_outbox = Table(
    "chat_outbox",
    metadata,
    Column("workspace", Text, nullable=False, server_default=text("'default'")),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("unanswered", Integer, nullable=False, server_default=text("0")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("created_at", Float, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("leased_until", Float, nullable=False, server_default=text("0")),
    Column("updated_at", Float, nullable=False),
    Column("last_error", Text, nullable=False, server_default=text("''")),
    Index("chat_outbox_by_key", "workspace", "platform", "idempotency_key", unique=True),
    Index("chat_outbox_due", "workspace", "state", "next_attempt_at"),
    sqlite_autoincrement=True,
)

seen_requests = Table(
    "seen_requests",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("key", Text, primary_key=True),
    Column("seen_at", Float, nullable=False),
    Index("seen_requests_by_time", "workspace", "seen_at"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("platform", Text, primary_key=True),
    Column("conversation_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("service_url", Text, nullable=False),
    Column("tenant_id", Text, nullable=False, server_default=text("''")),
    Column("user_id", Text),
    Column("updated_at", Float, nullable=False),
    Index("conversations_by_user", "workspace", "platform", "user_id", "kind"),
)

#: Teams conversations that asked for the weekly recap (``recap here``); Slack's come from
#: RECAP_CHANNELS. Each week's post is claimed in digest_claims, as ``recap-<ISO week>``.
recap_subscriptions = Table(
    "recap_subscriptions",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("platform", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("subscribed_by", Text, nullable=False),
    Column("subscribed_at", Float, nullable=False),
)

#: Leases on jobs that one process at a time runs (bot.store.sync_leases): the holder
#: keeps its lease by renewing it; another process takes it once ``leased_until`` passed.
sync_leases = Table(
    "sync_leases",
    metadata,
    Column("workspace", Text, primary_key=True, server_default=text("'default'")),
    Column("name", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("leased_until", Float, nullable=False),
)

#: Each workspace's Quantive connection (bot.store.connections): the token is kept only as
#: ciphertext (bot.secrets.SecretBox, applied by the caller) and its last four characters,
#: to show which token is in use.
quantive_connections = Table(
    "quantive_connections",
    metadata,
    Column("workspace", Text, primary_key=True),
    Column("quantive_url", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("token_encrypted", Text, nullable=False),
    Column("token_last4", Text, nullable=False),
    Column("connected_by", Text, nullable=False),
    Column("checked_at", Float),
    Column("updated_at", Float, nullable=False),
)

#: Settings an admin changed for one workspace (bot.store.workspace_settings): one JSON
#: value per name; a name without a row keeps the deployment's setting.
workspace_settings = Table(
    "workspace_settings",
    metadata,
    Column("workspace", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)
