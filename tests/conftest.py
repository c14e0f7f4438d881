"""Shared fixtures: the Quantive emulator over real HTTP, the databases (SQLite and a
throwaway PostgreSQL), and a clean environment.

The app, its SDKs and SQLAlchemy are imported by the fixtures that use them, not here:
xdist's controller imports this module before it starts the workers and runs no test, so
a second of imports here would hold up every worker's start."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.early import EARLY
from tests.postgres import PostgresServer
from tests.scheduling import MODULE_SECONDS, distributed, slowest_modules_first

if TYPE_CHECKING:
    from api import QuantiveClient, RetryPolicy
    from api.emulator import Emulator
    from tests.fake_teams import FakeTeams

ACCOUNT_ID = "5be26318e5274a0007f17f61"


@pytest.fixture(scope="session", autouse=True)
def one_tls_context_per_session() -> Iterator[None]:
    """httpx reads the whole CA bundle for every client it builds (some 50 ms, even for
    the loopback http:// URLs that every client here uses); build that context once."""
    import httpx._transports.default as transports

    build = transports.create_ssl_context

    @functools.cache
    def default_context(trust_env: bool) -> ssl.SSLContext:
        return build(verify=True, cert=None, trust_env=trust_env)

    def create_ssl_context(verify=True, cert=None, trust_env=True):  # type: ignore[no-untyped-def]
        if verify is True and cert is None:
            return default_context(trust_env)
        return build(verify=verify, cert=cert, trust_env=trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transports, "create_ssl_context", create_ssl_context)
        yield


@pytest.fixture(scope="session", autouse=True)
def app_slots() -> Iterator[None]:
    """The loopback servers that harnesses mount the app on, closed when the session ends."""
    from tests.harness import SLOTS

    yield
    SLOTS.close()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A developer's shell must not change a test: drop SLACK_*, QUANTIVE_* and the like."""
    prefixes = (
        "SLACK_",
        "QUANTIVE_",
        "BADGE_",
        "BADGEBOT_",
        "DIGEST_",
        "RECAP_",
        "TEAMS_",
        "PUBLIC_URL",
        "DATABASE_URL",
        "PORT",
    )
    for name in list(os.environ):
        if name.startswith(prefixes):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env or database file is picked up


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """One emulated Quantive account for the session, on a loopback port."""
    from api.emulator import Emulator
    from bot.background_server import BackgroundServer

    emu = Emulator()
    with BackgroundServer(emu.app) as server:
        emu.url = f"{server.url}/api/v1"  # type: ignore[attr-defined]
        emu.root_url = server.url  # type: ignore[attr-defined]
        yield emu


@pytest.fixture
def emulator(emulator_server: Emulator) -> Emulator:
    """The session's emulator, back to the demo account with no faults, as ``emulator.url``."""
    emulator_server.reset()
    return emulator_server


def quantive_client(
    emulator: Emulator, *, timeout: float = 5.0, retry: RetryPolicy | None = None
) -> QuantiveClient:
    """A client of ``emulator`` with fast retries."""
    from api import QuantiveClient, RetryPolicy, build_http_client
    from api.emulator import DEFAULT_TOKEN

    http = build_http_client(emulator.url, DEFAULT_TOKEN, ACCOUNT_ID, timeout=timeout)  # type: ignore[attr-defined]
    return QuantiveClient(
        http, retry=retry or RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.05)
    )


@pytest.fixture
async def quantive(emulator: Emulator) -> AsyncIterator[QuantiveClient]:
    """A QuantiveClient pointed at the emulator."""
    client = quantive_client(emulator)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def slack_server():
    """One recording fake of Slack's Web API for the session, on a loopback port."""
    from bot.background_server import BackgroundServer
    from tests.fake_slack import FakeSlack

    fake = FakeSlack()
    with BackgroundServer(fake.app) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def slack(slack_server):
    """The session's fake Slack, with no calls recorded and the demo users."""
    slack_server.reset()
    return slack_server


def start_postgres() -> PostgresServer:
    """A PostgreSQL server (started early; see tests.early)."""
    return PostgresServer().start()


def _needs_postgres(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    callspec = getattr(item, "callspec", None)
    return (
        "postgres" in names
        or "migrated_postgres" in names
        or (callspec is not None and callspec.params.get("backend") == "postgresql")
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """On an xdist worker, start PostgreSQL before collecting: a worker collects every
    module (some seconds) before its first test, which is often a PostgreSQL one, and
    nearly every worker runs one; a server nobody takes is stopped at the end."""
    config = session.config
    if hasattr(config, "workerinput") and not config.option.collectonly:
        EARLY.begin("postgres", start_postgres, PostgresServer.stop)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start PostgreSQL, and what a module's ``begin_early`` starts, in the background
    when collected tests need them: their start then overlaps the tests that run first."""
    if any(_needs_postgres(item) for item in session.items):
        EARLY.begin("postgres", start_postgres, PostgresServer.stop)
    if distributed(session.config):
        # Each worker collects every module but runs some: one would start a playground
        # for nothing. The slowest modules go first anyway, so nothing would overlap.
        return
    modules = {id(item.module): item.module for item in session.items if hasattr(item, "module")}
    for module in modules.values():
        begin = getattr(module, "begin_early", None)
        if begin is not None:
            begin()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On several workers, the slowest modules go first (see tests.scheduling)."""
    slowest_modules_first(config, items)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    MODULE_SECONDS.add(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop what was started early and never used (its tests were deselected, say); keep
    each module's seconds for the next run's order."""
    EARLY.stop_the_rest()
    MODULE_SECONDS.save(session)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (never skipped: ``make test`` installs it)."""
    server = EARLY.take("postgres", start_postgres)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the current schema, copied for each test (faster than migrating)."""
    from bot.store import migrate

    path = tmp_path_factory.mktemp("template") / "bot.db"
    asyncio.run(migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres: PostgresServer) -> str:
    """A PostgreSQL database at the current schema, emptied for each test."""
    from bot.store import migrate

    url = postgres.create_database("badgebot")
    asyncio.run(migrate(url))
    return url


@pytest.fixture
def backend() -> str:
    """The database the test runs on; ``@pytest.mark.both_backends`` runs it on both."""
    return "sqlite"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run tests marked ``both_backends`` once on SQLite and once on PostgreSQL."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_backends"
    ):
        metafunc.parametrize("backend", ["sqlite", "postgresql"])


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database at the current schema, on ``backend``."""
    if backend == "postgresql":
        url = request.getfixturevalue("migrated_postgres")
        empty_postgres(url)
        return url
    path = tmp_path / "bot.db"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
    return f"sqlite:///{path}"


def empty_sqlite(path: Path) -> None:
    """Delete every row of the bot's tables in an SQLite file a process may have open."""
    import sqlite3

    from bot.store.tables import metadata

    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn, conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(f'DELETE FROM "{table.name}"')


def empty_postgres(url: str) -> None:
    """Delete every row of the bot's tables (quicker than a new database per test)."""
    import psycopg

    from bot.store.tables import metadata

    names = ", ".join(t.name for t in metadata.sorted_tables)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {names} RESTART IDENTITY")


@pytest.fixture
def bot(emulator, slack, database_url):
    """The real app, started on a loopback port against the emulator and fake Slack."""
    from tests.harness import BotHarness

    harness = BotHarness(emulator, slack, database_url).start()
    yield harness
    harness.stop()


@pytest.fixture
def fast_bot(emulator, slack, database_url):
    """The app with an outbox that retries in tenths of a second."""
    from tests.harness import FAST_OUTBOX, BotHarness

    harness = BotHarness(emulator, slack, database_url, **FAST_OUTBOX).start()
    yield harness
    harness.stop()


@pytest.fixture(scope="session")
def teams_server() -> Iterator[FakeTeams]:
    from bot.background_server import BackgroundServer
    from tests.fake_teams import FakeTeams

    fake = FakeTeams()
    with BackgroundServer(fake.app) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def teams(teams_server: FakeTeams) -> FakeTeams:
    teams_server.reset()
    return teams_server


@pytest.fixture
def teams_bot(emulator, slack, teams, database_url):
    """The app serving Slack and Teams, with Teams pointed at the fake."""
    from tests.harness import BotHarness

    harness = BotHarness(emulator, slack, database_url, **teams.settings()).start()
    yield harness
    harness.stop()


@pytest.fixture
def held_bot(emulator, slack, database_url):
    """The app in BADGE_APPROVAL=bot mode, with a token whose user decides at once."""
    from tests.harness import FAST_OUTBOX, BotHarness

    emulator.token_user_decides = True
    harness = BotHarness(emulator, slack, database_url, badge_approval="bot", **FAST_OUTBOX).start()
    yield harness
    harness.stop()
