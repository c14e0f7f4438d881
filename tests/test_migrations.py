"""Schema versions: ``python -m bot migrate`` on empty databases of both backends and on
files written by earlier releases, and processes that refuse to run on an old schema."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

from bot.__main__ import main
from bot.store import Identity, Store
from bot.store.schema import head_revision
from bot.store.tables import metadata
from handlers.slack.installations import installation_metadata
from tests.conftest import empty_postgres
from tests.postgres import PostgresServer

DATA = Path(__file__).parent / "data"
#: Tables that revision 0006 folded into the award record (``awards``, rebuilt).
REPLACED = {"awards", "award_messages", "given_awards", "award_outbox"}
HEAD = head_revision()
#: Written by main at 6f404f5, the last release before Alembic: every table has rows.
LAST_RELEASE = DATA / "main-6f404f5.sqlite3"
#: Written by 9ced0e1, before the outbox gained its evidence and lease columns.
OLDER_RELEASE = DATA / "release-9ced0e1.sqlite3"


def code_schema() -> MetaData:
    """Every table the code uses: the bot's own (bot.store.tables) and slack_sdk's
    installation tables (handlers.slack.installations; bot/ imports no Slack SDK)."""
    combined = MetaData()
    for table in [*metadata.sorted_tables, *installation_metadata().sorted_tables]:
        table.to_metadata(combined)
    return combined


def schema_differences(url: str) -> list[object]:
    """What Alembic's autogenerate would change to reach the code's schema."""

    async def compare() -> list[object]:
        store = Store(url)
        try:
            async with store.engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), code_schema())
                )
        finally:
            await store.aclose()

    return asyncio.run(compare())


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


def test_migrate_builds_the_code_schema_on_sqlite(tmp_path, monkeypatch, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["migrate"]) == 0
    assert f"migrated from revision none to {HEAD}" in capsys.readouterr().out
    assert schema_differences(url) == []
    assert main(["migrate"]) == 0
    assert f"already at revision {HEAD}" in capsys.readouterr().out


def test_migrate_builds_the_code_schema_on_postgresql(
    postgres: PostgresServer, monkeypatch, capsys
) -> None:
    url = postgres.create_database("fresh")
    # The form Heroku-style add-ons set.
    monkeypatch.setenv("DATABASE_URL", url.replace("postgresql://", "postgres://"))
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert f"migrated from revision none to {HEAD}" in out and "postgresql+psycopg" in out
    assert schema_differences(url) == []
    assert main(["migrate"]) == 0


def test_two_release_processes_at_once_on_postgresql(postgres: PostgresServer) -> None:
    url = postgres.create_database("racing")
    env = {**os.environ, "DATABASE_URL": url}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "migrate"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]  # the advisory lock serialises them
    assert sorted("migrated" in out for out in outputs) == [False, True]
    assert schema_differences(url) == []


@pytest.mark.parametrize("release", [LAST_RELEASE, OLDER_RELEASE], ids=["6f404f5", "9ced0e1"])
def test_an_old_sqlite_file_upgrades_in_place_with_nothing_lost(
    release: Path, tmp_path, monkeypatch, capsys
) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(release, path)
    before = dump(path)
    bot_settings(monkeypatch, f"sqlite:///{path}")
    assert main(["serve"]) == 2  # refuses the old schema before touching it
    assert "schema is at revision none" in capsys.readouterr().err
    assert dump(path) == before
    assert main(["migrate"]) == 0

    after = dump(path)
    # slack_outbox became chat_outbox (0005): its queued calls moved, as read() checks;
    # SQLite's AUTOINCREMENT counters follow the tables' names.
    moved = before.pop("slack_outbox")
    before.pop("sqlite_sequence", None)
    assert "slack_outbox" not in after and len(after["chat_outbox"]) == len(moved)
    for table, rows in before.items():
        if table in REPLACED:
            continue
        if table == "sqlite_sequence":  # new tables add their counters beside the old ones
            assert set(rows) <= set(after[table])
            continue
        # Every old row is still there; added columns come last with their defaults.
        assert [row[: len(rows[0])] for row in after[table]] == rows if rows else True
    # The award record replaced the display views and the outbox's copies of them: every
    # give and every award a message showed is one record, and every message still
    # points at its award.
    gives = {row[0] for row in before["award_outbox"]}
    assert {row[0] for row in after["award_outbox"]} == gives
    records = sqlite3.connect(path).execute("SELECT give_id, assignment_id, status FROM awards")
    by_give = {g: (a, st) for g, a, st in records.fetchall()}
    assert gives <= set(by_give)
    shown = {row[0] for row in before.get("awards", [])}
    assert shown <= {a for a, _ in by_give.values()}
    assert {(m[0], m[1], m[2]) for m in before.get("award_messages", [])} <= {
        m[:3] for m in after["slack_messages"]
    }
    if 3 in by_give:
        assert by_give[3] == ("held-3", "held")  # the held give keeps its key
    # SQLite reads back REAL for FLOAT and a nullable INTEGER PRIMARY KEY: spellings, not
    # missing pieces. No table, column or index may be missing or extra.
    kinds = {d[0] for d in _flatten(schema_differences(f"sqlite:///{path}"))}
    assert kinds <= {"modify_type", "modify_nullable"}, kinds

    async def read() -> None:
        store = Store(f"sqlite:///{path}")
        try:
            assert await store.cached_identity("UAMARA", 1e10) == Identity(
                "UAMARA", "6400000000000000000000a1", "amara@acme.test", "Amara Okafor"
            )
            assert await store.digest_subscriptions() == ["CDIGEST"]
            # Every old chat id is Slack's, and Teams ids now live beside them.
            assert await store.digest_subscriptions(platform="teams") == []
            assert await store.subscribe_digest("CDIGEST", "29:maria", platform="teams")
            assert (await store.decision("64d0000000000000000000aa")).decided_by == "UMARIA"  # type: ignore[union-attr]
            [queued] = await store.due_awards(1e12, stale_before=0)
            assert queued.request["user_ids"] == ["u1"] and queued.state == "queued"
            [operation] = await store.due_chat(1e12, ["slack", "teams"])
            assert operation.operation["channel"] == "C1" and operation.platform == "slack"
            assert not operation.unanswered and await store.lease_chat(operation.id, 60)
            # The old file keeps working: new rows go in after the old ones.
            record = {**(await store.award_row_by_give(queued.id) or {}), "assignment_id": None}
            assert (await store.accept_award({"n": 1}, record, {}))[0] > queued.id
            assert await store.first_sighting("new-trigger")
        finally:
            await store.aclose()

    asyncio.run(read())


def _flatten(diffs: list[object]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for diff in diffs:
        out.extend(diff if isinstance(diff, list) else [diff])  # type: ignore[arg-type]
    return out


def bot_settings(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    for key, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "QUANTIVE_API_TOKEN": "token",
        "QUANTIVE_ACCOUNT_ID": "acct",
        "DATABASE_URL": database_url,
        "BADGE_APPROVERS": "UMARIA",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize("command", ["serve", "clock", "digest"])
def test_processes_refuse_a_database_that_is_behind(
    command: str, postgres: PostgresServer, monkeypatch, capsys
) -> None:
    url = postgres.create_database("behind")
    bot_settings(monkeypatch, url)
    assert main([command]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"badgebot {command}: cannot start: the database schema is at revision none "
        f"(never migrated), this code needs {HEAD}; run `python -m bot migrate`."
    )


def test_a_database_ahead_of_the_code_is_named(migrated_postgres: str, monkeypatch, capsys):
    import psycopg

    empty_postgres(migrated_postgres)
    with psycopg.connect(migrated_postgres, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    try:
        bot_settings(monkeypatch, migrated_postgres)
        assert main(["serve"]) == 2
        assert "revision 0099, newer than this code" in capsys.readouterr().err
    finally:
        with psycopg.connect(migrated_postgres, autocommit=True) as conn:
            conn.execute("UPDATE alembic_version SET version_num = %s", (HEAD,))


def test_an_unreachable_database_is_named_without_its_password(monkeypatch, capsys) -> None:
    bot_settings(monkeypatch, "postgresql://bot:hunter2-secret@127.0.0.1:9/badgebot")
    assert main(["serve"]) == 2
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the database postgresql+psycopg://bot:***@127.0.0.1:9/badgebot" in err
    assert "hunter2" not in err


@pytest.mark.parametrize(
    "url,message",
    [
        ("mysql://x@h/db", "badgebot runs on sqlite:/// or postgresql:// only"),
        ("not a url", "DATABASE_URL is not a database URL"),
    ],
)
def test_an_unusable_database_url_is_a_settings_problem(url, message, monkeypatch, capsys):
    bot_settings(monkeypatch, url)
    assert main(["serve"]) == 2
    assert message in capsys.readouterr().err
