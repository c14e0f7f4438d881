"""handlers.slack.installations on SQLite and PostgreSQL: slack_sdk's stores on the bot's
database, migrated by Alembic, with every token encrypted at rest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.secrets import SecretBox, new_key
from bot.store.database import create_engine
from handlers.slack.installations import (
    INSTALLATION_SECRETS,
    EncryptedInstallationStore,
    SingleUseStateStore,
    installation_metadata,
)
from tests.fake_slack_oauth import _refresh_token, _rotating_token

pytestmark = pytest.mark.both_backends

TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")
KEY = new_key()


@pytest.fixture
async def engine(database_url: str, backend: str) -> AsyncIterator[AsyncEngine]:
    """The migrated test database; conftest empties only bot.store's tables, so the
    installation tables are emptied here."""
    engine = create_engine(database_url)
    if backend == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> EncryptedInstallationStore:
    return EncryptedInstallationStore("111.222", engine, SecretBox(KEY))


def installation(
    team_id: str | None,
    *,
    enterprise_id: str | None = None,
    org_wide: bool = False,
    rotating: bool = False,
    installed_at: float | None = None,
) -> Installation:
    owner = team_id or enterprise_id
    return Installation(
        app_id="ABADGEBOT",
        enterprise_id=enterprise_id,
        enterprise_name="Globex" if enterprise_id else None,
        team_id=team_id,
        team_name=f"Team {team_id}" if team_id else None,
        bot_token=_rotating_token(str(owner)) if rotating else f"xoxb-{owner}-secret",
        bot_id=f"B{owner}",
        bot_user_id=f"U{owner}",
        bot_scopes="commands,chat:write",
        bot_refresh_token=_refresh_token(str(owner)) if rotating else None,
        bot_token_expires_in=43200 if rotating else None,
        user_id="UINSTALLER",
        user_token=f"xoxp-{owner}-user-secret",
        user_refresh_token=_refresh_token(f"user-{owner}") if rotating else None,
        incoming_webhook_url=f"https://hooks.slack.com/services/{owner}/B0/abcdefghijklmnop",
        is_enterprise_install=org_wide,
        token_type="bot",
        installed_at=installed_at,
    )


async def raw_rows(engine: AsyncEngine) -> str:
    """Every value of the installation tables, as the database holds them."""
    async with engine.connect() as conn:
        rows = []
        for table in TABLES:
            rows += [repr(tuple(r)) for r in (await conn.execute(text(f"SELECT * FROM {table}")))]
    return "\n".join(rows)


async def test_each_workspace_and_an_org_find_their_own_tokens_in_clear(store) -> None:
    one, two = installation("T1"), installation("T2", rotating=True)
    org = installation(None, enterprise_id="E1", org_wide=True, rotating=True)
    for saved in (one, two, org):
        await store.async_save(saved)

    for saved in (one, two):
        found = await store.async_find_installation(enterprise_id=None, team_id=saved.team_id)
        assert found is not None and found.team_name == saved.team_name
        for name in INSTALLATION_SECRETS:
            assert getattr(found, name) == getattr(saved, name), name
        bot = await store.async_find_bot(enterprise_id=None, team_id=saved.team_id)
        assert bot is not None and bot.bot_token == saved.bot_token
        assert bot.bot_refresh_token == saved.bot_refresh_token
    # Bolt asks with the request's team id and is_enterprise_install: any team of the org.
    for team in ("T7", "T8", None):
        found = await store.async_find_installation(
            enterprise_id="E1", team_id=team, is_enterprise_install=True
        )
        assert found is not None and found.bot_token == org.bot_token
        bot = await store.async_find_bot(
            enterprise_id="E1", team_id=team, is_enterprise_install=True
        )
        assert bot is not None and bot.bot_token == org.bot_token
    assert await store.async_find_installation(enterprise_id=None, team_id="T3") is None
    assert await store.async_find_bot(enterprise_id="E2", team_id=None) is None
    # The saved objects themselves keep their clear tokens (Bolt shows them on success).
    assert one.bot_token == "xoxb-T1-secret"


async def test_the_database_holds_no_token_in_clear(store, engine, backend, database_url) -> None:
    saved = [
        installation("T1"),
        installation(None, enterprise_id="E1", org_wide=True, rotating=True),
    ]
    for each in saved:
        await store.async_save(each)
    secrets = [getattr(s, name) for s in saved for name in INSTALLATION_SECRETS]
    secrets = [secret for secret in secrets if secret]
    assert len(secrets) == 8  # T1 has no refresh tokens
    raw = await raw_rows(engine)
    assert "Team T1" in raw  # the rows are there, only the secrets are sealed
    for secret in secrets:
        assert secret not in raw
    if backend == "sqlite":
        await engine.dispose()  # checkpoint: every page is in the file, or still in the WAL
        path = database_url.removeprefix("sqlite:///")
        data = file_bytes(path) + file_bytes(path + "-wal")
        assert b"Team T1" in data
        for secret in secrets:
            assert secret.encode() not in data
    # A rotating token's ciphertext outgrows slack_sdk's VARCHAR(200): the reason 0010
    # makes the secret columns TEXT, which PostgreSQL would otherwise refuse.
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT bot_refresh_token FROM slack_bots"))).scalars()
        assert max(len(s or "") for s in stored) > 200
    box = SecretBox(KEY)
    async with engine.connect() as conn:
        query = text("SELECT bot_token FROM slack_installations WHERE team_id = 'T1'")
        assert box.decrypt((await conn.execute(query)).scalar_one()) == "xoxb-T1-secret"


def file_bytes(path: str) -> bytes:
    """A file's bytes; none when it does not exist (no WAL after a checkpoint)."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return b""


async def test_a_newer_install_wins_and_rotation_updates_in_place(store, engine) -> None:
    old = installation("T1", installed_at=1_700_000_000.5)
    new = installation("T1", rotating=True, installed_at=1_700_000_100.25)
    await store.async_save(old)
    await store.async_save(new)
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == new.bot_token
    # Rotation saves a copy with the same installed_at: the row is updated, not added.
    found.bot_token, found.bot_refresh_token = "xoxe.xoxb-1-new", "xoxe-1-new"
    await store.async_save(found)
    again = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert again is not None and again.bot_token == "xoxe.xoxb-1-new"
    assert again.bot_refresh_token == "xoxe-1-new"
    async with engine.connect() as conn:
        count = select(func.count()).select_from(text("slack_installations"))
        assert (await conn.execute(count)).scalar_one() == 2


async def test_deleting_one_workspace_leaves_the_others(store, engine) -> None:
    await store.async_save(installation("T1"))
    await store.async_save(installation("T2"))
    await store.async_save(installation("T3", enterprise_id="E1"))
    await store.async_save(installation(None, enterprise_id="E1", org_wide=True))
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T2") is not None
    # A grid workspace installed on its own is found with its org's id, which
    # enterprise_of() reads back for a caller that has only the team id.
    assert await store.async_find_installation(enterprise_id=None, team_id="T3") is None
    assert await store.enterprise_of("T3") == "E1"
    assert await store.enterprise_of("T2") is None and await store.enterprise_of("T1") is None
    await store.async_delete_bot(enterprise_id="E1", team_id=None)
    await store.async_delete_installation(enterprise_id="E1", team_id=None)
    assert (
        await store.async_find_installation(
            enterprise_id="E1", team_id="T3", is_enterprise_install=True
        )
        is None
    )
    assert await store.async_find_installation(enterprise_id="E1", team_id="T3") is not None
    async with engine.connect() as conn:
        teams = await conn.execute(text("SELECT team_id FROM slack_bots ORDER BY team_id"))
        assert list(teams.scalars()) == ["T2", "T3"]


async def test_tokens_under_another_key_read_as_not_installed(store, engine, caplog) -> None:
    await store.async_save(installation("T1"))
    other = EncryptedInstallationStore("111.222", engine, SecretBox(new_key()))
    with caplog.at_level(logging.ERROR):
        assert await other.async_find_installation(enterprise_id=None, team_id="T1") is None
        assert await other.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert "cannot be read" in caplog.text and "xoxb" not in caplog.text
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is not None


async def fill_pool(engine: AsyncEngine, n: int) -> None:
    """Open ``n`` pooled connections at once, so that racing statements each get one."""
    everyone = asyncio.Barrier(n)

    async def hold() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await asyncio.wait_for(everyone.wait(), 10)

    await asyncio.gather(*(hold() for _ in range(n)))


async def test_a_state_is_consumed_once_even_by_racing_redirects(engine, backend) -> None:
    states = SingleUseStateStore(600, engine)
    state = await states.async_issue()
    if backend == "postgresql":
        # With a connection each, slack_sdk's SELECT-then-DELETE let all six through
        # (measured); SQLite's one connection per process queues them anyway.
        await fill_pool(engine, 6)
    results = await asyncio.gather(*(states.async_consume(state) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert await states.async_consume(state) is False
    assert await states.async_consume("never-issued") is False
    assert (
        await states.async_consume("") is False and await states.async_consume("x" * 500) is False
    )


async def test_an_expired_state_is_refused_and_swept(engine) -> None:
    states = SingleUseStateStore(600, engine)
    past = (datetime.now(tz=UTC) - timedelta(seconds=1)).replace(tzinfo=None)
    async with engine.connect() as conn:
        await conn.execute(states.oauth_states.insert(), {"state": "old", "expire_at": past})
    assert await states.async_consume("old") is False
    await states.async_consume(await states.async_issue())  # issuing sweeps the old one
    async with engine.connect() as conn:
        left = await conn.execute(select(func.count()).select_from(states.oauth_states))
        assert left.scalar_one() == 0


def test_the_tables_are_slack_sdks_with_only_the_secret_columns_widened() -> None:
    ours = installation_metadata()
    theirs = MetaData()
    AsyncSQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations")
    AsyncSQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots")
    AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states")
    assert set(ours.tables) == set(theirs.tables) == set(TABLES)
    widened = []
    for name, table in theirs.tables.items():
        mine = ours.tables[name]
        assert [c.name for c in mine.columns] == [c.name for c in table.columns]
        for column in table.columns:
            twin = mine.c[column.name]
            assert (twin.nullable, twin.primary_key) == (column.nullable, column.primary_key)
            if repr(twin.type) != repr(column.type):
                widened.append(column.name)
                assert repr(twin.type) == "Text()"
        assert {(i.name, tuple(c.name for c in i.columns)) for i in mine.indexes} == {
            (i.name, tuple(c.name for c in i.columns)) for i in table.indexes
        }
    assert sorted(set(widened)) == sorted(INSTALLATION_SECRETS)
