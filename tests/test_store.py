"""The SQLite store: claims that only the first taker wins, across connections too."""

from __future__ import annotations

import threading
import time

from bot.store import Identity, Store


def test_decision_claim_is_won_once_even_across_connections(tmp_path) -> None:
    path = tmp_path / "s.db"
    stores = [Store(path) for _ in range(4)]
    wins: list[bool] = []
    barrier = threading.Barrier(len(stores))

    def claim(store: Store) -> None:
        barrier.wait()
        wins.append(store.claim_decision("a1", "approve", "U1"))

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, False, False, True]
    claim_row = stores[0].decision("a1")
    assert claim_row is not None and not claim_row.done
    stores[1].finish_decision("a1")
    assert stores[2].decision("a1").done  # type: ignore[union-attr]


def test_released_decision_can_be_claimed_again(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.claim_decision("a1", "reject", "U1", "why")
    store.release_decision("a1")
    assert store.claim_decision("a1", "approve", "U2")
    assert store.decision("a1").decided_by == "U2"  # type: ignore[union-attr]


def test_digest_claims_per_channel_and_day(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.claim_digest("C1", "2026-11-27")
    assert not store.claim_digest("C1", "2026-11-27")
    assert store.claim_digest("C1", "2026-11-28") and store.claim_digest("C2", "2026-11-27")
    assert store.claim_digest("C1", "2026-11-27", force=True)
    store.record_digest("C1", "2026-11-27", "123.4", ["a1", "a2"], 5)
    post = store.digest_post("C1", "123.4")
    assert post is not None and post.assignment_ids == ["a1", "a2"] and post.hidden_count == 5
    assert [m.kind for m in store.messages_for("a2")] == ["digest"]
    store.release_digest("C1", "2026-11-27")  # posted: a recorded claim is kept
    assert not store.claim_digest("C1", "2026-11-27")


def test_outbox_rows_are_taken_once_and_stale_sending_rows_come_back(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    row_id = store.enqueue_award({"badgeId": "b"}, {"badge_name": "x"}, {})
    assert store.due_awards(time.time(), stale_before=time.time() - 60) == []  # in flight
    due = store.due_awards(time.time(), stale_before=time.time() + 1)  # its process died
    assert [a.id for a in due] == [row_id] and due[0].state == "sending"
    assert store.take_award(due[0], stale_before=time.time() + 1)
    store.retry_award_later(row_id, "queued", 0, "503")
    [queued] = store.due_awards(time.time() + 0.01, stale_before=0)
    assert store.take_award(queued, stale_before=0)
    assert not store.take_award(queued, stale_before=0)  # someone else has it now
    store.finish_award(row_id, "delivered", {"assignment_id": "a9"})
    assert store.outbox_counts() == {"delivered": 1}
    assert store.outbox_award(row_id).attempts == 3  # type: ignore[union-attr]


def test_identity_cache_expires(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    store.remember_identity(Identity("U1", "q1", "a@b.c", "Ann"))
    assert store.cached_identity("U1", max_age=60) == Identity("U1", "q1", "a@b.c", "Ann")
    assert store.cached_identity("U1", max_age=-1) is None
    store.remember_chat_user_by_email("A@B.c", None)
    assert store.cached_chat_user_by_email("a@b.c", 60) == (True, None)


def test_request_keys_are_seen_once_until_forgotten(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.first_sighting("trigger:1") is True
    assert store.first_sighting("trigger:1") is False
    store.forget_sightings(3600)  # still young: kept
    assert store.first_sighting("trigger:1") is False
    store.forget_sightings(-1)  # everything is older than "one second in the future"
    assert store.first_sighting("trigger:1") is True
