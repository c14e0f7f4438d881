"""The store on SQLite and on PostgreSQL: claims that only the first taker wins, across
engines (as across processes) too, leases, and the caches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.store import Identity, Store

pytestmark = pytest.mark.both_backends


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    yield store
    await store.aclose()


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[list[Store]]:
    """Four stores with engines of their own, as four processes would have."""
    stores = [Store(database_url) for _ in range(4)]
    yield stores
    await asyncio.gather(*(s.aclose() for s in stores))


async def test_decision_claim_is_won_once_across_engines(stores: list[Store]) -> None:
    wins = await asyncio.gather(*(s.claim_decision("a1", "approve", "U1") for s in stores * 5))
    assert sorted(wins) == [False] * 19 + [True]
    claim = await stores[0].decision("a1")
    assert claim is not None and not claim.done
    await stores[1].finish_decision("a1")
    assert (await stores[2].decision("a1")).done  # type: ignore[union-attr]
    assert await stores[3].unfinished_decisions(time.time() + 1) == []


async def test_released_decision_can_be_claimed_again(store: Store) -> None:
    assert await store.claim_decision("a1", "reject", "U1", "why")
    assert [c.reason for c in await store.unfinished_decisions(time.time() + 1)] == ["why"]
    await store.release_decision("a1")
    assert await store.claim_decision("a1", "approve", "U2")
    assert (await store.decision("a1")).decided_by == "U2"  # type: ignore[union-attr]


async def test_digest_claims_per_channel_and_day(store: Store) -> None:
    assert await store.claim_digest("C1", "2026-11-27")
    assert not await store.claim_digest("C1", "2026-11-27")
    assert await store.claim_digest("C1", "2026-11-28")
    assert await store.claim_digest("C2", "2026-11-27")
    assert await store.claim_digest("C1", "2026-11-27", force=True)
    await store.record_digest("C1", "2026-11-27", "123.4", ["a1", "a2"], 5)
    post = await store.digest_post("C1", "123.4")
    assert post is not None and post.assignment_ids == ["a1", "a2"] and post.hidden_count == 5
    assert [m.kind for m in await store.messages_for("a2")] == ["digest"]
    await store.release_digest("C1", "2026-11-27")  # posted: a recorded claim is kept
    assert not await store.claim_digest("C1", "2026-11-27")
    await store.release_digest("C2", "2026-11-27")  # never posted: released
    assert await store.claim_digest("C2", "2026-11-27")


async def test_two_clocks_claim_each_channel_once(stores: list[Store]) -> None:
    wins = await asyncio.gather(
        *(s.claim_digest(c, "2026-11-28") for s in stores for c in ("C1", "C2", "C3"))
    )
    assert wins.count(True) == 3


async def test_digest_subscriptions(store: Store) -> None:
    assert await store.subscribe_digest("C2", "U1")
    assert not await store.subscribe_digest("C2", "U2")
    assert await store.subscribe_digest("C1", "U1")
    assert await store.digest_subscriptions() == ["C1", "C2"]
    assert await store.unsubscribe_digest("C2")
    assert not await store.unsubscribe_digest("C2")
    assert await store.digest_subscriptions() == ["C1"]


def a_record(badge_name: str = "x", **values) -> dict:
    """An award record's row, as the core writes it."""
    from bot.awards.record import Award, Party, award_row

    giver = Party(name="Ann", chat_user_id="U1", platform="slack")
    return award_row(Award(badge_id="b", badge_name=badge_name, giver=giver, **values))


async def accept(store: Store, request: dict, *, held: bool = False, evidence=None) -> int:
    held_key = "held-{}" if held else None
    give_id, _ = await store.accept_award(request, a_record(), evidence or {}, held_key=held_key)
    return give_id


async def test_outbox_rows_are_taken_once_and_stale_sending_rows_come_back(store: Store) -> None:
    row_id = await accept(store, {"badgeId": "b"}, evidence={"holders": []})
    assert await store.due_awards(time.time(), stale_before=time.time() - 60) == []  # in flight
    due = await store.due_awards(time.time(), stale_before=time.time() + 1)  # its process died
    assert [a.id for a in due] == [row_id] and due[0].state == "sending"
    assert due[0].evidence == {"holders": []} and due[0].sent_at is not None
    assert await store.take_award(due[0], stale_before=time.time() + 1)
    await store.retry_award_later(row_id, "queued", 0, "503")
    [queued] = await store.due_awards(time.time() + 0.01, stale_before=0)
    assert await store.take_award(queued, stale_before=0)
    assert not await store.take_award(queued, stale_before=0)  # someone else has it now
    await store.finish_award(row_id, "delivered", "a9")
    assert await store.outbox_counts() == {"delivered": 1}
    assert await store.assignment_delivered("a9")
    assert (await store.outbox_award(row_id)).attempts == 3  # type: ignore[union-attr]


async def test_a_worker_whose_row_was_taken_since_may_not_send_it(store: Store) -> None:
    """A worker slowed past the stale window loses its row to the next one: its lease no
    longer marks the row sent (so it sends nothing), the new owner's does, evidence too."""
    row_id = await accept(store, {"badgeId": "b"}, held=True)
    assert await store.release_held(row_id, "sending")
    [released] = await store.due_awards(time.time(), stale_before=time.time() + 1)
    slow = await store.take_award(released, stale_before=time.time() + 1)
    [stale] = await store.due_awards(time.time(), stale_before=time.time() + 1)
    quick = await store.take_award(stale, stale_before=time.time() + 1)
    assert slow is not None and quick is not None and quick != slow
    assert not await store.mark_award_sent(row_id, lease=slow, evidence={"holders_before": ["x"]})
    assert await store.mark_award_sent(row_id, lease=quick, evidence={"holders_before": []})
    kept = await store.outbox_award(row_id)
    assert kept is not None and kept.sent_at is not None
    assert kept.evidence == {"holders_before": []}


async def test_each_due_award_is_taken_by_one_engine(stores: list[Store]) -> None:
    ids = [await accept(stores[0], {"n": i}) for i in range(10)]
    for row in ids:
        await stores[0].retry_award_later(row, "queued", 0, "503")
    due = await stores[1].due_awards(time.time() + 1, stale_before=0)
    taken = await asyncio.gather(*(s.take_award(a, 0) for s in stores for a in due))
    assert sum(lease is not None for lease in taken) == len(ids)


async def test_held_awards_are_released_once(stores: list[Store]) -> None:
    row = await accept(stores[0], {"n": 1}, held=True)
    assert [a.id for a in await stores[1].held_awards()] == [row]
    await stores[1].update_evidence(row, {"e": 1})
    released = await asyncio.gather(*(s.release_held(row, "sending") for s in stores))
    assert released.count(True) == 1
    award = await stores[2].outbox_award(row)
    assert award is not None and award.request == {"n": 1} and award.evidence == {"e": 1}
    assert award.state == "sending" and await stores[3].held_awards() == []


async def test_chat_outbox_rows_are_leased_to_one_engine(stores: list[Store]) -> None:
    first, second = stores[0], stores[1]
    op = {"kind": "post", "channel": "C1", "text": "hi"}
    assert await first.enqueue_chat("slack", "k1", op, delay=0, error="429")
    # The same notice failing in another process is not queued twice.
    assert not await second.enqueue_chat("slack", "k1", op, delay=0, error="429")
    assert await second.enqueue_chat("teams", "k1", {"kind": "dm"}, delay=3600, error="503")
    await first.enqueue_chat("teams", "k2", {"kind": "dm"}, delay=0, error="503")
    [due_a] = await first.due_chat(time.time() + 1, ["slack"])
    [due_b] = await second.due_chat(time.time() + 1, ["slack"])
    assert due_a.operation == op and due_a.key == "k1" and not due_a.unanswered
    leased = await asyncio.gather(*(s.lease_chat(due_a.id, 60) for s in stores))
    assert leased.count(True) == 1
    assert await first.due_chat(time.time(), ["slack"]) == []
    await first.retry_chat_later(due_a.id, 0, "again", unanswered=True)  # released
    assert (await second.due_chat(time.time() + 1, ["slack"]))[0].unanswered
    assert await second.lease_chat(due_b.id, 60)
    assert await first.chat_queue_length() == 3 and await first.chat_queue_length("slack") == 1
    await second.finish_chat(due_b.id, "done")
    assert await first.chat_queue_length("slack") == 0
    assert await first.chat_post_state("slack", "k1") == "done"
    await first.forget_finished_chat(time.time() + 1)
    assert await first.chat_post_state("slack", "k1") is None
    assert await first.chat_post_state("teams", "k2") == "queued"  # waiting: never forgotten


async def test_award_records_and_messages(store: Store) -> None:
    give_id, record_id = await store.accept_award({}, a_record("first"), {})
    assert (await store.award_row_by_give(give_id))["id"] == record_id  # type: ignore[index]
    await store.save_award(record_id, a_record("first, again", assignment_id="a1"))
    # An award first seen in Quantive is kept once; the bot's own record always wins.
    await store.add_seen_award(a_record("seen", assignment_id="a2"))
    await store.add_seen_award(a_record("seen again", assignment_id="a2"))
    await store.add_seen_award(a_record("not mine", assignment_id="a1"))
    assert (await store.award_row("a1"))["badge_name"] == "first, again"  # type: ignore[index]
    assert (await store.award_row("a2"))["badge_name"] == "seen"  # type: ignore[index]
    assert await store.award_row("nope") is None and await store.award_row("") is None
    # A held award is found by its key and by the id Quantive gave it later.
    await store.add_seen_award(
        a_record("held", assignment_id="held-7", quantive_assignment_id="q7")
    )
    assert (await store.award_row("q7"))["assignment_id"] == "held-7"  # type: ignore[index]
    await store.add_message("a1", "C1", "1.1", "request")
    await store.add_message("a1", "C1", "1.1", "request")  # a repeat is harmless
    assert [(m.channel, m.ts) for m in await store.messages_for("a1")] == [("C1", "1.1")]


async def test_identity_cache_expires(store: Store) -> None:
    await store.remember_identity(Identity("U1", "q0", "a@b.c", "Ann"))
    await store.remember_identity(Identity("U1", "q1", "a@b.c", "Ann"))
    assert await store.cached_identity("U1", max_age=60) == Identity("U1", "q1", "a@b.c", "Ann")
    assert await store.cached_identity("U1", max_age=-1) is None
    await store.remember_chat_user_by_email("A@B.c", None)
    assert await store.cached_chat_user_by_email("a@b.c", 60) == (True, None)
    await store.remember_chat_user_by_email("a@b.c", "U1")
    assert await store.cached_chat_user_by_email("a@b.c", 60) == (True, "U1")
    assert await store.cached_chat_user_by_email("x@b.c", 60) == (False, None)


async def test_request_keys_are_seen_once_until_forgotten(stores: list[Store]) -> None:
    seen = await asyncio.gather(*(s.first_sighting("trigger:1") for s in stores))
    assert sorted(seen) == [False, False, False, True]
    store = stores[0]
    await store.forget_sightings(3600)  # still young: kept
    assert await store.first_sighting("trigger:1") is False
    await store.forget_sightings(-1)  # everything is older than "one second in the future"
    assert await store.first_sighting("trigger:1") is True


async def test_keep_keys_outlast_the_replay_window(store: Store) -> None:
    import time_machine

    from bot.store.seen_requests import KEEP_SECONDS

    with time_machine.travel(time.time() - 7200, tick=False):  # two hours ago
        assert await store.first_sighting("trigger:old") is True
        assert await store.first_sighting("keep:reaction:U1:C1:1.0") is True
    await store.forget_sightings(3600)
    assert await store.first_sighting("trigger:old") is True  # forgotten: new again
    assert await store.first_sighting("keep:reaction:U1:C1:1.0") is False  # still known
    with time_machine.travel(time.time() + KEEP_SECONDS + 60, tick=False):
        await store.forget_sightings(3600)
        assert await store.first_sighting("keep:reaction:U1:C1:1.0") is True


async def test_a_transaction_that_fails_leaves_nothing(store: Store) -> None:
    from bot.store.tables import seen_requests

    with pytest.raises(RuntimeError):
        async with store.transaction() as conn:
            await conn.execute(seen_requests.insert().values(key="half", seen_at=1.0))
            raise RuntimeError("between two statements")
    assert await store.first_sighting("half")  # the insert was rolled back
    async with store.transaction() as conn:
        await conn.execute(seen_requests.insert().values(key="whole", seen_at=1.0))
    assert not await store.first_sighting("whole")


async def test_chat_ids_are_kept_per_platform(store: Store) -> None:
    """A Teams id that happens to equal a Slack id is another person, message or channel."""
    await store.remember_identity(Identity("U1", "q-slack", "a@b.c", "Ann"))
    await store.remember_identity(Identity("U1", "q-teams", "z@b.c", "Zoe", platform="teams"))
    assert (await store.cached_identity("U1", 60)).quantive_user_id == "q-slack"  # type: ignore[union-attr]
    teams = await store.cached_identity("U1", 60, platform="teams")
    assert teams is not None and teams.quantive_user_id == "q-teams" and teams.platform == "teams"
    await store.remember_chat_user_by_email("a@b.c", "U1")
    assert await store.cached_chat_user_by_email("a@b.c", 60, platform="teams") == (False, None)
    await store.add_message("a1", "C1", "1.1", "request")
    await store.add_message("a1", "C1", "1.1", "request", platform="teams")
    assert sorted(m.platform for m in await store.messages_for("a1")) == ["slack", "teams"]
    assert await store.subscribe_digest("C1", "U1")
    assert await store.subscribe_digest("C1", "U1", platform="teams")
    assert await store.claim_digest("C1", "2026-11-28")
    assert await store.claim_digest("C1", "2026-11-28", platform="teams")
    await store.record_digest("C1", "2026-11-28", "9.9", ["a2"], 0, platform="teams")
    assert await store.digest_post("C1", "9.9") is None
    assert (await store.digest_post("C1", "9.9", platform="teams")) is not None
    assert await store.unsubscribe_digest("C1", platform="teams")
    assert await store.digest_subscriptions() == ["C1"]


async def test_conversation_references_are_refreshed(store: Store) -> None:
    from bot.store import ConversationRef

    old = ConversationRef("a:1", "personal", "https://old.example/", "t1", "29:ann")
    await store.remember_conversation(old)
    await store.remember_conversation(
        ConversationRef("a:1", "personal", "https://new.example/", "t1", "29:ann")
    )
    await store.remember_conversation(ConversationRef("19:chan", "channel", "https://new.example/"))
    ref = await store.personal_conversation("29:ann")
    assert ref is not None and ref.service_url == "https://new.example/"
    assert (await store.conversation("19:chan")).kind == "channel"  # type: ignore[union-attr]
    assert await store.personal_conversation("29:bob") is None
