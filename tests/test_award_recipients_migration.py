"""Migration 0011 on both backends: a database at 0010 with awards in two workspaces
gains ``award_recipients`` filled from every award's JSON (people, teams, a document with
no recipients), the dashboard counts them at once, and going back to 0010 drops the table
and restores the old index."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from bot.dashboard.figures import Count, custom_period, dashboard_figures
from bot.store import Store
from bot.store.database import create_engine, transaction
from bot.store.schema import _config, migrate
from bot.store.tables import award_recipients

pytestmark = pytest.mark.both_backends

LIAM = {"name": "Liam", "chat_user_id": "ULIAM", "platform": "slack", "quantive_id": "ql"}
TEAM = {"name": "Platform", "quantive_id": "t-plat", "is_team": True}
GIVEN = 1772445600.0  # Monday 2 March 2026, 10:00 UTC


def old_award(workspace: str, assignment_id: str, recipients: list[dict], **extra: object) -> dict:
    return {
        "workspace": workspace,
        "assignment_id": assignment_id,
        "badge_id": "b-mentor",
        "badge_name": "Mentor",
        "giver": json.dumps({"name": "Amara", "chat_user_id": "UAMARA"}),
        "giver_chat_id": "UAMARA",
        "platform": "slack",
        "recipients": json.dumps(recipients),
        "recipient_count": len(recipients),
        "status": "approved",
        "given_at": GIVEN,
        "updated_at": GIVEN,
        **extra,
    }


OLD_AWARDS = [
    old_award("slack:TACME1", "a1", [LIAM, TEAM], comment="thanks"),
    old_award("slack:TACME1", "a2", [LIAM], status="pending"),
    old_award("slack:TACME1", "a3", []),
    old_award("slack:TGLOBEX", "a1", [LIAM]),
]


async def at_0010_with_awards(url: str) -> None:
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0010"))
            for row in OLD_AWARDS:
                columns = ", ".join(row)
                values = ", ".join(f":{k}" for k in row)
                await conn.execute(text(f"INSERT INTO awards ({columns}) VALUES ({values})"), row)
    finally:
        await engine.dispose()


@pytest.fixture
def old_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgresql":
        url = request.getfixturevalue("postgres").create_database("award_recipients_0010")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    asyncio.run(at_0010_with_awards(url))
    return url


def test_the_migration_fills_the_recipients_of_every_award(old_database: str) -> None:
    asyncio.run(migrate(old_database))

    async def read() -> None:
        store = Store(old_database)
        try:
            r = award_recipients.c
            query = select(
                r.workspace, r.position, r.quantive_id, r.name, r.is_team, r.team_id, r.status
            )
            async with store.connect() as conn:
                rows = sorted(tuple(row) for row in (await conn.execute(query)).all())
            assert rows == [
                ("slack:TACME1", 0, "ql", "Liam", 0, None, "approved"),
                ("slack:TACME1", 0, "ql", "Liam", 0, None, "pending"),
                ("slack:TACME1", 1, "t-plat", "Platform", 1, "t-plat", "approved"),
                ("slack:TGLOBEX", 0, "ql", "Liam", 0, None, "approved"),
            ]
            period = custom_period(date(2026, 3, 2), date(2026, 3, 8), "UTC")
            figures = await dashboard_figures(store.for_workspace("slack:TACME1"), period)
            assert figures.total == 3 and figures.top_people == [Count("ql", "Liam", 2)]
            assert figures.by_team == [Count("t-plat", "Platform", 1)]
            assert figures.queue.waiting == 1
        finally:
            await store.aclose()

    asyncio.run(read())


def test_the_migration_goes_back_to_0010(old_database: str) -> None:
    asyncio.run(migrate(old_database))

    async def downgrade() -> tuple[list[str], set[str]]:
        engine = create_engine(old_database)
        try:
            async with transaction(engine) as conn:
                await conn.run_sync(lambda sync: command.downgrade(_config(sync), "0010"))
                return await conn.run_sync(
                    lambda sync: (
                        inspect(sync).get_table_names(),
                        {i["name"] for i in inspect(sync).get_indexes("awards")},
                    )
                )
        finally:
            await engine.dispose()

    tables, indexes = asyncio.run(downgrade())
    assert "award_recipients" not in tables and "awards" in tables
    assert {"awards_by_status", "awards_by_time"} <= indexes
    assert "awards_by_status_time" not in indexes and "awards_by_time_figures" not in indexes
