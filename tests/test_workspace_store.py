"""Workspaces in the store, on SQLite and on PostgreSQL: two workspaces' views of one
database hold the same assignment ids, chat ids, outbox keys, claims and request keys,
and each sees, claims and deletes only its own; a view shares its owner's engine; and
every statement a store method sends names the workspace."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event

from bot.store import (
    ConnectionRow,
    ConversationRef,
    FigureScope,
    Identity,
    OutboxAward,
    Store,
)

pytestmark = pytest.mark.both_backends

ACME, GLOBEX = "slack:TACME1", "teams:0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    yield store
    await store.aclose()


@pytest.fixture
def pair(store: Store) -> tuple[Store, Store]:
    return store.for_workspace(ACME), store.for_workspace(GLOBEX)


def record(assignment_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "assignment_id": assignment_id,
        "platform": "slack",
        "badge_id": "b1",
        "badge_name": "Mentor",
        "giver": "{}",
        "giver_chat_id": "UAMARA",
        "recipients": "[]",
        "recipient_count": 2,
        "status": "pending",
        "given_at": time.time(),
        **extra,
    }


async def test_a_view_shares_the_engine_and_only_the_owner_closes_it(store: Store) -> None:
    view = store.for_workspace(ACME)
    assert store.workspace == "default" and view.workspace == ACME
    assert view.engine is store.engine
    assert view.for_workspace(GLOBEX).workspace == GLOBEX
    await view.aclose()
    assert await store.first_sighting("after-the-view-closed")  # the pool is still open
    for wrong in ("", "TACME1", "slack:", "discord:T1", " slack:T1", "slack:T1 "):
        with pytest.raises(ValueError, match="not a workspace key"):
            store.for_workspace(wrong)


async def test_identities_and_conversations_are_per_workspace(pair: tuple[Store, Store]) -> None:
    acme, globex = pair
    await acme.remember_identity(Identity("U1", "q-acme", "amara@acme.test", "Amara"))
    assert await globex.cached_identity("U1", 1e9) is None
    await globex.remember_identity(Identity("U1", "q-globex", "amara@globex.test", "Amara G"))
    assert (await acme.cached_identity("U1", 1e9)).quantive_user_id == "q-acme"  # type: ignore[union-attr]
    assert (await globex.cached_identity("U1", 1e9)).quantive_user_id == "q-globex"  # type: ignore[union-attr]

    await acme.remember_chat_user_by_email("amara@x.test", "U1")
    assert await globex.cached_chat_user_by_email("amara@x.test", 1e9) == (False, None)
    await globex.remember_chat_user_by_email("amara@x.test", None)
    assert await acme.cached_chat_user_by_email("amara@x.test", 1e9) == (True, "U1")
    assert await globex.cached_chat_user_by_email("amara@x.test", 1e9) == (True, None)

    await acme.remember_conversation(
        ConversationRef("a:1", "personal", "https://acme", "t", "29:u")
    )
    assert await globex.conversation("a:1") is None
    assert await globex.personal_conversation("29:u") is None
    await globex.remember_conversation(
        ConversationRef("a:1", "personal", "https://gx", "t", "29:u")
    )
    assert (await acme.personal_conversation("29:u")).service_url == "https://acme"  # type: ignore[union-attr]
    assert (await globex.conversation("a:1")).service_url == "https://gx"  # type: ignore[union-attr]


async def test_decision_claims_never_block_another_workspace(pair: tuple[Store, Store]) -> None:
    acme, globex = pair
    assert await acme.claim_decision("a1", "approve", "U1")
    assert await globex.claim_decision("a1", "reject", "U2", "no")
    assert not await acme.claim_decision("a1", "reject", "U3")
    assert (await acme.decision("a1")).decision == "approve"  # type: ignore[union-attr]
    assert await acme.finish_decision("a1")
    assert not (await globex.decision("a1")).done  # type: ignore[union-attr]
    assert [c.decided_by for c in await globex.unfinished_decisions(time.time() + 1)] == ["U2"]
    assert await acme.unfinished_decisions(time.time() + 1) == []
    assert await globex.take_decision("a1", time.time() + 1)
    assert not await acme.take_decision("a1", time.time() + 1)  # acme's is done
    await globex.release_decision("a1")
    assert await globex.decision("a1") is None
    assert (await acme.decision("a1")).done  # type: ignore[union-attr]


async def test_digests_subscriptions_and_their_messages_are_per_workspace(
    pair: tuple[Store, Store],
) -> None:
    acme, globex = pair
    for s in pair:
        assert await s.subscribe_digest("C1", "U1")
        assert await s.subscribe_digest("C1", "U1", post="recap")
        assert await s.claim_digest("C1", "2026-11-27")
    assert await acme.unsubscribe_digest("C1")
    assert await acme.digest_subscriptions() == [] and await globex.digest_subscriptions() == ["C1"]
    assert await globex.digest_subscriptions(post="recap") == ["C1"]
    assert await globex.unsubscribe_digest("C1", post="recap")
    assert await acme.digest_subscriptions(post="recap") == ["C1"]

    await acme.record_digest("C1", "2026-11-27", "1.1", ["a1"], 0)
    assert await globex.digest_post("C1", "1.1") is None
    assert await globex.messages_for("a1") == []
    await globex.release_digest("C1", "2026-11-27")  # globex never posted: released
    assert await globex.claim_digest("C1", "2026-11-27")
    await acme.release_digest("C1", "2026-11-27")  # acme posted: its claim is kept
    assert not await acme.claim_digest("C1", "2026-11-27")
    assert await globex.claim_digest("C1", "2026-11-27", force=True)
    assert (await acme.digest_post("C1", "1.1")).assignment_ids == ["a1"]  # type: ignore[union-attr]
    await globex.add_message("a1", "C1", "1.1", "request", platform="teams")
    assert [m.platform for m in await acme.messages_for("a1")] == ["slack"]
    assert [m.platform for m in await globex.messages_for("a1")] == ["teams"]


async def test_seen_requests_and_leases_are_per_workspace(pair: tuple[Store, Store]) -> None:
    acme, globex = pair
    assert await acme.first_sighting("trigger-1") and await globex.first_sighting("trigger-1")
    assert not await acme.first_sighting("trigger-1")
    await acme.forget_sightings(older_than=-10)  # every key acme saw is old enough
    assert await acme.first_sighting("trigger-1")
    assert not await globex.first_sighting("trigger-1")

    assert await acme.take_lease("sync", "p1", 60)
    assert await globex.take_lease("sync", "p2", 60)
    assert not await acme.take_lease("sync", "p2", 60)
    assert not await globex.take_lease("sync", "p1", 60)


async def test_award_records_with_the_same_keys_stay_apart(pair: tuple[Store, Store]) -> None:
    acme, globex = pair
    await acme.add_seen_award(record("a1", give_id=None, badge_name="Seen in Acme"))
    await globex.add_seen_award(record("a1", give_id=None, badge_name="Seen in Globex"))
    await acme.add_seen_award(record("a1", give_id=None, badge_name="Seen again"))  # kept
    assert (await acme.award_row("a1"))["badge_name"] == "Seen in Acme"  # type: ignore[index]
    assert (await globex.award_row("a1"))["badge_name"] == "Seen in Globex"  # type: ignore[index]

    give, record_id = await acme.accept_award({"n": 1}, record(None), {})
    assert await globex.award_row_by_give(give) is None
    assert await globex.outbox_award(give) is None
    # Acme's give learns the key "a1": acme's seen copy goes, globex's stays.
    await acme.save_award(record_id, record("a1", give_id=give, badge_name="Given"))
    assert (await acme.award_row("a1"))["id"] == record_id  # type: ignore[index]
    assert (await globex.award_row("a1"))["badge_name"] == "Seen in Globex"  # type: ignore[index]
    await globex.save_award(record_id, record("a1", badge_name="Overwritten"))  # not its row
    assert (await acme.award_row("a1"))["badge_name"] == "Given"  # type: ignore[index]

    since = time.time() - 60
    assert await acme.given_count("slack", "UAMARA", since) == 2
    assert await globex.given_count("slack", "UAMARA", since) == 0
    assert [r["id"] async for r in acme.given_between()] == [record_id]
    assert [r async for r in globex.given_between()] == []
    assert [r["badge_name"] for r in await globex.award_rows("pending")] == ["Seen in Globex"]
    assert [k.record_id for k in await acme.waiting_keys(0)] == [record_id]
    assert not await globex.settle_award(record_id, "pending", record("a1", status="approved"))
    assert await acme.settle_award(record_id, "pending", record("a1", status="approved"))
    assert [k.assignment_id for k in await globex.waiting_keys(0)] == ["a1"]


async def test_the_award_outbox_is_per_workspace(pair: tuple[Store, Store]) -> None:
    acme, globex = pair
    sent, _ = await acme.accept_award({"n": 1}, record(None), {})
    held, _ = await globex.accept_award({"n": 2}, record(None), {}, held_key="held-{}")
    assert [a.id for a in await globex.held_awards()] == [held]
    assert await acme.held_awards() == []
    assert not await acme.release_held(held, "sending")
    assert await acme.outbox_counts() == {"sending": 1}
    assert await globex.outbox_counts() == {"held": 1}

    await globex.retry_award_later(sent, "queued", 0, "not mine")  # touches nothing
    await globex.mark_award_sent(sent)
    await globex.update_evidence(sent, {"x": 1})
    await globex.finish_award(sent, "refused")
    [mine] = await acme.due_awards(time.time() + 1, stale_before=time.time() + 1)
    assert mine.id == sent and mine.evidence == {} and mine.state == "sending"
    assert await globex.due_awards(time.time() + 1, stale_before=time.time() + 1) == []
    assert not await globex.take_award(mine, stale_before=time.time() + 1)
    assert await acme.take_award(mine, stale_before=time.time() + 1)
    await acme.finish_award(sent, "delivered", "q-1")
    assert await acme.assignment_delivered("q-1")
    assert not await globex.assignment_delivered("q-1")


async def test_the_chat_outbox_is_per_workspace(pair: tuple[Store, Store]) -> None:
    acme, globex = pair
    for s in pair:
        assert await s.enqueue_chat("slack", "notice-1", {"by": s.workspace}, delay=0, error="")
        assert not await s.enqueue_chat("slack", "notice-1", {}, delay=0, error="")
    await acme.enqueue_chat("teams", "notice-2", {}, delay=0, error="")
    [theirs] = await globex.due_chat(time.time() + 1, ["slack", "teams"])
    assert theirs.operation == {"by": GLOBEX}
    assert not await acme.lease_chat(theirs.id, 60)
    await acme.finish_chat(theirs.id, "done")
    assert await globex.chat_post_state("slack", "notice-1") == "queued"
    assert await globex.lease_chat(theirs.id, 60)

    assert await acme.chat_queue_length() == 2
    assert await acme.drop_queued_posts("slack") == 1
    assert await acme.drop_queued_posts("slack") == 0
    assert await acme.chat_post_state("slack", "notice-1") is None
    assert await acme.chat_queue_length() == 1  # its Teams post is another platform's
    assert await globex.chat_queue_length("slack") == 1  # leased, not dropped
    await globex.finish_chat(theirs.id, "done")
    await acme.forget_finished_chat(time.time() + 1)
    assert await globex.chat_post_state("slack", "notice-1") == "done"


async def test_connections_round_trip_and_list_across_workspaces(store: Store) -> None:
    acme, globex = store.for_workspace(ACME), store.for_workspace(GLOBEX)
    assert await acme.connection() is None and await store.connected_workspaces() == []
    row = ConnectionRow(ACME, "https://app.quantive.test", "acct-1", "gAAAA-cipher", "wxyz", "U1")
    await acme.save_connection(row)
    saved = await acme.connection()
    assert saved is not None and saved.token_encrypted == "gAAAA-cipher"
    assert saved.checked_at is None and saved.updated_at > 0
    assert await globex.connection() is None
    await globex.save_connection(ConnectionRow(GLOBEX, "https://eu", "acct-2", "c2", "1234", "U9"))
    await acme.save_connection(ConnectionRow(ACME, "https://us", "acct-3", "c3", "5678", "U2", 7.0))
    assert await store.connected_workspaces() == sorted([ACME, GLOBEX])
    listed = {c.workspace: (c.account_id, c.checked_at) for c in await globex.all_connections()}
    assert listed == {ACME: ("acct-3", 7.0), GLOBEX: ("acct-2", None)}
    with pytest.raises(ValueError, match="cannot be saved"):
        await globex.save_connection(row)
    assert (await acme.connection()).account_id == "acct-3"  # type: ignore[union-attr]
    assert await acme.delete_connection() and not await acme.delete_connection()
    assert await store.connected_workspaces() == [GLOBEX]


async def test_settings_round_trip_per_workspace(pair: tuple[Store, Store]) -> None:
    acme, globex = pair
    await acme.set_workspace_setting("badge_approval", "bot", "U1")
    await acme.set_workspace_setting("give_limit", {"per": "week", "count": 5}, "U1")
    await globex.set_workspace_setting("badge_approval", "quantive", "U9")
    await acme.set_workspace_setting("give_limit", {"per": "day", "count": 2}, "U2")
    assert await acme.workspace_settings() == {
        "badge_approval": "bot",
        "give_limit": {"per": "day", "count": 2},
    }
    assert await globex.workspace_settings() == {"badge_approval": "quantive"}
    assert await acme.clear_workspace_setting("badge_approval")
    assert not await acme.clear_workspace_setting("badge_approval")
    assert await globex.workspace_settings() == {"badge_approval": "quantive"}
    assert list(await acme.workspace_settings()) == ["give_limit"]


#: Methods that read across workspaces on purpose, and those of the engine itself.
CROSSING = {
    "all_connections",
    "connected_workspaces",
    # The worker's round: where work is due, and one sweep of old request ids for all.
    "workspaces_with_due_work",
    "forget_sightings_everywhere",
    "aclose",
    "check_schema",
}
ENGINE = {"for_workspace", "connect", "transaction"}


async def test_every_store_method_names_the_workspace_in_its_statements(store: Store) -> None:
    view = store.for_workspace(ACME)
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    rec = record("a1")
    ref = ConversationRef("a:1", "personal", "https://x", "t", "29:u")
    give = (await view.accept_award({}, rec, {}))[0]
    calls: dict[str, tuple[Any, ...]] = {
        "cached_identity": ("U1", 1.0),
        "remember_identity": (Identity("U1", "q", "e", "n"),),
        "cached_chat_user_by_email": ("e", 1.0),
        "remember_chat_user_by_email": ("e", "U1"),
        "accept_award": ({}, record(None), {}),
        "save_award": (1, rec),
        "add_seen_award": (rec,),
        "award_row": ("a1",),
        "award_row_by_give": (give,),
        "award_rows": ("pending",),
        "given_count": ("slack", "U1", 0.0),
        "add_message": ("a1", "C1", "1.1", "request"),
        "messages_for": ("a1",),
        "claim_decision": ("a1", "approve", "U1"),
        "finish_decision": ("a1",),
        "take_decision": ("a1", 0.0),
        "release_decision": ("a1",),
        "decision": ("a1",),
        "unfinished_decisions": (0.0,),
        "subscribe_digest": ("C1", "U1"),
        "unsubscribe_digest": ("C1",),
        "digest_subscriptions": (),
        "claim_digest": ("C1", "d"),
        "release_digest": ("C1", "d"),
        "record_digest": ("C1", "d", "1.1", ["a1"], 0),
        "digest_post": ("C1", "1.1"),
        "release_held": (give, "sending"),
        "held_awards": (),
        "update_evidence": (give, {}),
        "mark_award_sent": (give,),
        "assignment_delivered": ("a1",),
        "outbox_award": (give,),
        "due_awards": (0.0, 0.0),
        "take_award": (OutboxAward(give, "queued", {}, 1), 0.0),
        "retry_award_later": (give, "queued", 0.0, ""),
        "finish_award": (give, "delivered"),
        "outbox_counts": (),
        "enqueue_chat": ("slack", "k", {}),
        "due_chat": (0.0, ["slack"]),
        "lease_chat": (1, 1.0),
        "retry_chat_later": (1, 0.0, ""),
        "finish_chat": (1, "done"),
        "chat_post_state": ("slack", "k"),
        "chat_queue_length": (),
        "forget_finished_chat": (0.0,),
        "drop_queued_posts": ("slack",),
        "first_sighting": ("k",),
        "forget_sightings": (1.0,),
        "remember_conversation": (ref,),
        "personal_conversation": ("29:u",),
        "conversation": ("a:1",),
        "take_lease": ("sync", "p", 1.0),
        "waiting_keys": (0.0,),
        "settle_award": (1, "pending", rec),
        "connection": (),
        "delete_connection": (),
        "workspace_settings": (),
        "set_workspace_setting": ("n", 1, "U1"),
        "clear_workspace_setting": ("n",),
        "save_connection": (ConnectionRow(ACME, "url", "acct", "cipher", "last", "U1"),),
        "dashboard_rows": (FigureScope(0.0, 1e10, "b1", "t1"), [(0.0, 1.0), (1.0, 1e10)], 10),
        "dashboard_filter_rows": (),
    }
    keywords = {
        "retry_chat_later": {"unanswered": False},
        "enqueue_chat": {"delay": 0.0, "error": ""},
    }
    event.listen(store.engine.sync_engine, "before_cursor_execute", capture)
    try:
        for name, args in calls.items():
            await getattr(view, name)(*args, **keywords.get(name, {}))
        rows = [r async for r in view.given_between()]
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", capture)
    # A new method must join the list (or CROSSING, saying why it may cross).
    public = {n for n in dir(Store) if not n.startswith("_") and callable(getattr(Store, n))}
    assert public - set(calls) - CROSSING - ENGINE == {"given_between"}
    assert rows and len(sent) > len(calls)
    for statement in sent:
        flat = " ".join(statement.split())
        if not re.match(r"(SELECT|INSERT|UPDATE|DELETE)\b", flat):
            continue  # BEGIN, COMMIT, SQLite's pragmas
        insert = flat.startswith("INSERT")
        scoped = flat.split(" VALUES ")[0] if insert else flat.partition(" WHERE ")[2]
        assert "workspace" in scoped, flat
