"""Migration 0006 on both backends: a database full of the old shapes (display views,
``given_awards``, ``award_messages``, outbox rows with views) becomes award records with
nothing lost: each give and each shown award is one record, held awards keep their key,
decisions name their decider, and messages are filed per platform."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.awards.record import award_from_row
from bot.store import Store
from bot.store.database import create_engine, transaction
from bot.store.schema import _config, migrate

pytestmark = pytest.mark.both_backends

VIEW = {
    "assignment_id": "a-pending",
    "badge_id": "b1",
    "badge_name": "Mentor",
    "badge_icon": "star",
    "giver": {"name": "Amara", "chat_user_id": "UAMARA", "quantive_id": "qa"},
    "recipients": [{"name": "Liam", "chat_user_id": "ULIAM", "quantive_id": "ql"}],
    "comment": "thanks",
    "status": "pending",
    "platform": "slack",
    "origin_channel": "CGENERAL",
}


def old_rows() -> list[tuple[str, dict]]:
    """The rows an 0005 database held: a pending give, a held give approved in Teams, a
    give whose answer was lost, and an award given in Quantive shown in a digest."""
    held = {**VIEW, "assignment_id": "held-2", "status": "approved"}
    held |= {"decided_by": "29:maria", "decided_by_name": "Maria Garcia"}
    seen = {**VIEW, "assignment_id": "a-seen", "giver": {"name": "Oliver"}, "platform": "teams"}
    given = {
        "platform": "slack",
        "badge_id": "b1",
        "badge_name": "Mentor",
        "giver_chat_id": "UAMARA",
        "giver_email": "amara@acme.example",
        "giver_name": "Amara",
        "recipients": json.dumps([{"name": "Liam", "email": "liam@acme.example"}]),
        "recipient_count": 1,
        "comment": "thanks",
        "given_at": 1.0e9,
        "decided_by": "",
    }
    outbox = {"request": json.dumps({"badgeId": "b1"}), "attempts": 1, "updated_at": 1.0e9}
    outbox["next_attempt_at"] = 1.0e9
    return [
        ("awards", {"assignment_id": "a-pending", "view": json.dumps(VIEW), "updated_at": 1.0}),
        ("awards", {"assignment_id": "held-2", "view": json.dumps(held), "updated_at": 1.0}),
        ("awards", {"assignment_id": "a-seen", "view": json.dumps(seen), "updated_at": 1.0}),
        ("award_outbox", {**outbox, "id": 1, "state": "delivered", "view": json.dumps(VIEW)}),
        ("award_outbox", {**outbox, "id": 2, "state": "delivered", "view": "{}"}),
        ("award_outbox", {**outbox, "id": 3, "state": "uncertain", "view": "{}"}),
        ("award_outbox", {**outbox, "id": 4, "state": "rejected", "view": "{}"}),
        ("award_outbox", {**outbox, "id": 5, "state": "unknown", "view": "{}"}),
        ("given_awards", {**given, "give_id": 1, "assignment_id": "a-pending",
                          "status": "pending"}),
        ("given_awards", {**given, "give_id": 2, "assignment_id": "q-held",
                          "status": "approved"}),
        ("given_awards", {**given, "give_id": 3, "assignment_id": None,
                          "status": "sending"}),
        ("award_messages", {"platform": "slack", "channel": "C1", "ts": "1.1",
                            "assignment_id": "a-pending", "kind": "request"}),
        ("award_messages", {"platform": "teams", "channel": "a:maria", "ts": "act-1",
                            "assignment_id": "held-2", "kind": "request"}),
        ("decision_claims", {"assignment_id": "held-2", "decision": "approve",
                             "decided_by": "29:maria", "reason": "", "claimed_at": 1.0}),
    ]  # fmt: skip


async def at_0005_with_old_rows(url: str) -> None:
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0005"))
            for table, row in old_rows():
                columns = ", ".join(row)
                values = ", ".join(f":{k}" for k in row)
                await conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
    finally:
        await engine.dispose()


@pytest.fixture
def old_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgresql":
        url = request.getfixturevalue("postgres").create_database("award_record_0005")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    asyncio.run(at_0005_with_old_rows(url))
    return url


def test_every_old_award_becomes_one_record(old_database: str) -> None:
    asyncio.run(migrate(old_database))

    async def read() -> None:
        store = Store(old_database)
        try:
            pending = award_from_row(await store.award_row("a-pending"))
            assert pending.give_id == 1 and pending.status == "pending"
            assert pending.giver.chat_user_id == "UAMARA" and pending.giver.platform == "slack"
            assert pending.giver.email == "amara@acme.example"
            assert [r.chat_user_id for r in pending.recipients] == ["ULIAM"]
            assert pending.origin_channel == "CGENERAL" and pending.badge_icon == "star"

            held = award_from_row(await store.award_row("held-2"))
            assert held.give_id == 2 and held.quantive_assignment_id == "q-held"
            assert held.made_in_quantive == "q-held"  # revoke and the export use this
            assert held.decided_by is not None and held.decided_by.name == "Maria Garcia"
            assert held.decided_by.via == "teams"
            assert award_from_row(await store.award_row("q-held")).id == held.id

            lost = award_from_row(await store.award_row_by_give(3))
            assert lost.status == "sending" and lost.assignment_id == ""

            seen = award_from_row(await store.award_row("a-seen"))
            assert seen.give_id is None and seen.giver.name == "Oliver"

            # Gives from before given_awards keep what the outbox knew of them.
            assert award_from_row(await store.award_row_by_give(4)).status == "rejected"
            assert award_from_row(await store.award_row_by_give(5)).status == "unknown"
            given = [row async for row in store.given_between()]
            assert sorted(r["give_id"] for r in given) == [1, 2, 3, 4, 5]  # not the one seen
            refs = await store.messages_for("a-pending") + await store.messages_for("held-2")
            assert {(m.platform, m.channel, m.ts) for m in refs} == {
                ("slack", "C1", "1.1"),
                ("teams", "a:maria", "act-1"),
            }
            claim = await store.decision("held-2")
            assert claim is not None and json.loads(claim.decider)["name"] == "Maria Garcia"
        finally:
            await store.aclose()

    asyncio.run(read())
