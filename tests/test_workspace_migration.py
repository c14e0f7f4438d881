"""Migration 0009 (every row belongs to a workspace): the old SQLite releases upgrade with
every row kept under ``default`` and their AUTOINCREMENT counters kept; on both backends a
database at 0008 with rows upgrades, serves two workspaces with the same keys, and goes
back to 0008 only while nothing but ``default`` holds rows."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.__main__ import main
from bot.store import Identity, Store
from bot.store.database import create_engine, transaction
from bot.store.schema import _config, migrate
from tests.test_migrations import HEAD, LAST_RELEASE, OLDER_RELEASE, dump, schema_differences

#: The tables at 0008, each of which 0009 gives a ``workspace``.
SCOPED = (
    "identities", "chat_users_by_email", "awards", "slack_messages", "teams_messages",
    "decision_claims", "digest_subscriptions", "digest_claims", "award_outbox",
    "chat_outbox", "seen_requests", "conversations", "recap_subscriptions", "sync_leases",
)  # fmt: skip


@pytest.mark.parametrize("release", [LAST_RELEASE, OLDER_RELEASE], ids=["6f404f5", "9ced0e1"])
def test_old_sqlite_files_keep_every_row_under_default(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(release, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = create_engine(url)

    async def upgrade_to(revision: str) -> None:
        async with transaction(engine) as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), revision))

    asyncio.run(upgrade_to("0008"))
    before = dump(path)
    assert main(["migrate"]) == 0
    asyncio.run(engine.dispose())
    after = dump(path)
    assert sum(len(before[t]) for t in SCOPED) >= 6  # each snapshot holds rows to keep
    with sqlite3.connect(path) as db:
        for table in SCOPED:
            # Every row as it was, with the workspace column last, and only 'default'.
            assert [row[:-1] for row in after[table]] == before[table], table
            workspaces = db.execute(f"SELECT DISTINCT workspace FROM {table}").fetchall()
            assert workspaces in ([], [("default",)]), table
        # The copies of the rebuilt tables keep the counters: no id is given twice.
        assert set(before["sqlite_sequence"]) <= set(after["sqlite_sequence"])
    kinds = {d[0] for d in _flatten(schema_differences(url))}
    assert kinds <= {"modify_type", "modify_nullable"}, kinds

    async def read() -> None:
        store = Store(url)
        try:
            amara = Identity(
                "UAMARA", "6400000000000000000000a1", "amara@acme.test", "Amara Okafor"
            )
            assert await store.cached_identity("UAMARA", 1e10) == amara
            other = store.for_workspace("slack:TOTHER")
            assert await other.cached_identity("UAMARA", 1e10) is None
            assert await other.digest_subscriptions() == []
            assert await other.claim_decision("64d0000000000000000000aa", "approve", "U1")
            assert (await store.decision("64d0000000000000000000aa")).decided_by == "UMARIA"  # type: ignore[union-attr]
        finally:
            await store.aclose()

    asyncio.run(read())


def _flatten(diffs: list[object]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for diff in diffs:
        out.extend(diff if isinstance(diff, list) else [diff])  # type: ignore[arg-type]
    return out


#: Rows of a database at 0008: keyed tables, and the awards whose counter must hold.
ROWS_AT_0008 = [
    "INSERT INTO identities (platform, chat_user_id, quantive_user_id, email, name, fetched_at)"
    " VALUES ('slack', 'U1', 'q1', 'a@x.test', 'A', 1.0)",
    "INSERT INTO decision_claims (assignment_id, decision, decided_by, claimed_at)"
    " VALUES ('a1', 'approve', 'U1', 1.0)",
    "INSERT INTO awards (assignment_id, badge_id, badge_name, giver, recipients,"
    " recipient_count, status, updated_at) VALUES ('a1', 'b', 'B', '{}', '[]', 1, 'pending', 1)",
    "INSERT INTO awards (assignment_id, badge_id, badge_name, giver, recipients,"
    " recipient_count, status, updated_at) VALUES ('a2', 'b', 'B', '{}', '[]', 1, 'pending', 1)",
    "DELETE FROM awards WHERE assignment_id = 'a2'",
    "INSERT INTO chat_outbox (platform, idempotency_key, operation, state, created_at,"
    " next_attempt_at, updated_at) VALUES ('slack', 'k1', '{}', 'queued', 1, 1, 1)",
    "INSERT INTO sync_leases (name, holder, leased_until) VALUES ('sync', 'p1', 1.0)",
]


async def _at(url: str, revision: str, *statements: str, down: bool = False) -> None:
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            step = command.downgrade if down else command.upgrade
            await conn.run_sync(lambda sync: step(_config(sync), revision))
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(query))).scalar()
    finally:
        await engine.dispose()


@pytest.fixture
def at_0008(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgresql":
        url = request.getfixturevalue("postgres").create_database("workspace_0008")
    else:
        url = f"sqlite:///{tmp_path / 'at-0008.db'}"
    asyncio.run(_at(url, "0008", *ROWS_AT_0008))
    return url


@pytest.mark.both_backends
def test_0009_scopes_the_keys_and_goes_back_while_only_default_exists(at_0008: str) -> None:
    asyncio.run(migrate(at_0008))
    assert schema_differences(at_0008) == []

    async def use_two_workspaces() -> int:
        store = Store(at_0008)
        other = store.for_workspace("teams:0f8fad5b-d9cb-469f-a165-70867728950e")
        try:
            assert (await store.cached_identity("U1", 1e10)).quantive_user_id == "q1"  # type: ignore[union-attr]
            assert not await store.claim_decision("a1", "reject", "U2")  # the old claim holds
            assert await other.claim_decision("a1", "reject", "U2")
            assert await other.take_lease("sync", "p2", 60)
            assert await other.enqueue_chat("slack", "k1", {}, delay=0, error="")
            await other.add_seen_award(
                {"assignment_id": "a1", "badge_id": "b", "badge_name": "B", "giver": "{}",
                 "recipients": "[]", "recipient_count": 1, "status": "pending"}
            )  # fmt: skip
            # The counter survived the copy of awards: the deleted a2's id is not reused.
            return int((await other.award_row("a1"))["id"])  # type: ignore[index]
        finally:
            await store.aclose()

    assert asyncio.run(use_two_workspaces()) == 3
    with pytest.raises(RuntimeError, match="0009 cannot be downgraded: awards holds rows"):
        asyncio.run(_at(at_0008, "0008", down=True))
    # Refused before anything changed: still at the head, the other workspace's rows all
    # there (the later revisions' downgrades ran in the same, rolled back, transaction).
    assert asyncio.run(_scalar(at_0008, "SELECT version_num FROM alembic_version")) == HEAD
    assert asyncio.run(_scalar(at_0008, "SELECT count(*) FROM decision_claims")) == 2

    for table in SCOPED:
        asyncio.run(_at(at_0008, "0009", f"DELETE FROM {table} WHERE workspace <> 'default'"))
    asyncio.run(_at(at_0008, "0008", down=True))
    assert asyncio.run(_scalar(at_0008, "SELECT count(*) FROM decision_claims")) == 1
    assert asyncio.run(_scalar(at_0008, "SELECT count(*) FROM awards")) == 1
    # Back at 0008's keys: the same assignment id cannot be claimed twice.
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        asyncio.run(_at(at_0008, "0008", ROWS_AT_0008[1]))
    asyncio.run(migrate(at_0008))  # and up again, with the rows kept
    assert asyncio.run(_scalar(at_0008, "SELECT workspace FROM identities")) == "default"
