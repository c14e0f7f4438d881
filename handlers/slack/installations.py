"""Where Slack installations live: slack_sdk's SQLAlchemy stores on the bot's own database,
with every token encrypted at rest.

- :class:`EncryptedInstallationStore` wraps ``AsyncSQLAlchemyInstallationStore``: tokens
  and the incoming webhook URL are encrypted with :class:`bot.secrets.SecretBox` before
  they are saved and decrypted when found, so Bolt's authorize (and its token rotation)
  and the background jobs see clear tokens while the database holds none.
- :class:`SingleUseStateStore` is slack_sdk's OAuth state store with a consume that is
  one DELETE, so a state can complete one install even when two redirects race.

The tables are slack_sdk's own; migration 0010 creates them (never ``create_tables()``),
and :func:`installation_metadata` is the schema that migration must match.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TypeVar

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table, Text, and_, desc, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.secrets import SecretBox, SecretKeyError

log = logging.getLogger(__name__)

#: An installation or its bot record: the two shapes slack_sdk saves and finds.
Record = TypeVar("Record", Installation, Bot)

#: The fields of an installation that are secrets: stored encrypted, never in clear.
INSTALLATION_SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
#: The bot record's share of them.
BOT_SECRETS = ("bot_token", "bot_refresh_token")


def _widen_secrets(table: Table) -> Table:
    # Fernet ciphertext is longer than the token (a rotating token's passes slack_sdk's
    # VARCHAR(200)), so the secret columns are TEXT; SQLAlchemy checks no length itself,
    # so slack_sdk's queries work the same on either.
    for name in INSTALLATION_SECRETS:
        if name in table.c:
            table.c[name].type = Text()
    return table


class _SlackTables(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's installation store, on tables whose secret columns are TEXT."""

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        """slack_sdk's ``slack_installations``, secret columns widened."""
        return _widen_secrets(super().build_installations_table(metadata, table_name))

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        """slack_sdk's ``slack_bots``, secret columns widened."""
        return _widen_secrets(super().build_bots_table(metadata, table_name))


def installation_metadata() -> MetaData:
    """The three tables migration 0010 creates, as slack_sdk (and this module) use them."""
    metadata = MetaData()
    _SlackTables.build_installations_table(metadata, "slack_installations")
    _SlackTables.build_bots_table(metadata, "slack_bots")
    AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
    return metadata


class EncryptedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store with tokens encrypted at rest.

    It wraps (rather than extends) the SQL store: that store's ``async_save`` calls its own
    ``async_save_bot`` and its finds call each other, so encrypting and decrypting at this
    boundary only does each exactly once.
    """

    def __init__(self, client_id: str, engine: AsyncEngine, box: SecretBox) -> None:
        self.client_id = client_id
        self.sql = _SlackTables(client_id=client_id, engine=engine, logger=log)
        self._box = box

    @property
    def logger(self) -> logging.Logger:
        """The logger Bolt's built-ins use for this store."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Save an installation (and its bot), tokens encrypted."""
        await self.sql.async_save(self._sealed(installation, INSTALLATION_SECRETS))

    async def async_save_bot(self, bot: Bot) -> None:
        """Save a bot record (Bolt's rotation saves rotated bots here), tokens encrypted."""
        await self.sql.async_save_bot(self._sealed(bot, BOT_SECRETS))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The latest bot of a workspace or org, tokens in clear; None when there is none
        or its tokens were encrypted under another key (the workspace installs again)."""
        bot = await self.sql.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if bot is None else self._opened(bot, BOT_SECRETS)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The latest installation of a workspace or org (of one installer with
        ``user_id``), tokens in clear; None as :meth:`async_find_bot` says."""
        installation = await self.sql.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        if installation is None:
            return None
        return self._opened(installation, INSTALLATION_SECRETS)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete the bot records of exactly this (enterprise, team) pair."""
        await self.sql.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        """Delete the installations of exactly this (enterprise, team) pair (of one user)."""
        await self.sql.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def enterprise_of(self, team_id: str) -> str | None:
        """The Enterprise Grid org of a workspace installed on its own, as its latest
        installation recorded it; None outside a grid or when it is not installed.

        slack_sdk matches ``enterprise_id`` exactly (NULL included), and a workspace key
        (``slack:T…``) does not carry it.
        """
        c = self.sql.installations.c
        query = (
            select(c.enterprise_id)
            .where(and_(c.client_id == self.client_id, c.team_id == team_id))
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        async with self.sql.engine.connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    def _sealed(self, record: Record, secrets: tuple[str, ...]) -> Record:
        copy = type(record)(**record.to_dict_for_copying())
        for name in secrets:
            value = getattr(record, name)
            if value is not None:
                setattr(copy, name, self._box.encrypt(value))
        return copy

    def _opened(self, record: Record, secrets: tuple[str, ...]) -> Record | None:
        try:
            for name in secrets:
                value = getattr(record, name)
                if value is not None:
                    setattr(record, name, self._box.decrypt(value))
        except SecretKeyError as exc:
            # Every request of that workspace would fail the same way: one clear line,
            # and the workspace is treated as not installed until it installs again.
            log.error(
                "Slack installation of %s cannot be read: %s",
                record.team_id or record.enterprise_id,
                exc,
            )
            return None
        return record


class SingleUseStateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store, where consuming a state is one atomic statement.

    slack_sdk selects the state, then deletes it: two redirects carrying the same state
    could both pass between the two. A DELETE that reports its row count lets exactly one.
    Expired states are swept when a new one is issued (slack_sdk never deletes them).
    """

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        """A new state; states that expired are deleted on the way."""
        c = self.oauth_states.c
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        async with self.engine.connect() as conn:
            await conn.execute(self.oauth_states.delete().where(c.expire_at <= now))
        return await super().async_issue(*args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        """True exactly once for a state issued here and not expired."""
        if not isinstance(state, str) or not state or len(state) > 200:
            return False
        c = self.oauth_states.c
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        async with self.engine.connect() as conn:
            result = await conn.execute(
                self.oauth_states.delete().where(and_(c.state == state, c.expire_at > now))
            )
        return bool(result.rowcount)
