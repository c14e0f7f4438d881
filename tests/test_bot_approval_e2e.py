"""BADGE_APPROVAL=bot: the bot holds a non-approver's award until an approver approves,
whoever owns the API token. Both readings of Quantive are covered with the emulator's
``token_user_decides`` switch (the demo token belongs to Maria, who manages badges)."""

from __future__ import annotations

import logging
import threading

from api.emulator import Fault
from tests.harness import FAST_OUTBOX, BotHarness, new_awards
from tests.test_digest import settings_for, slack_runtime
from tests.waiting import wait_until

AMARA = "64a000000000000000000003"


def give_held(bot: BotHarness) -> str:
    bot.command("give <@ULIAM|liam> Team Player held thanks", user="UAMARA", response_key="g")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "g")
    assert "Sent for approval" in reply["text"]
    requests = bot.slack.wait_calls("chat.postMessage", count=2)
    held_id = requests[0]["blocks"][-1]["elements"][0]["value"]
    assert held_id.startswith("held-")
    return held_id


def test_quantive_mode_with_a_token_that_decides_approves_everything(bot: BotHarness) -> None:
    bot.emulator.token_user_decides = True
    bot.command("give <@ULIAM|liam> Team Player thanks", user="UAMARA", response_key="g")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "g")
    assert "Done!" in reply["text"]  # no approver was ever asked: why the bot mode exists
    [award] = new_awards(bot.emulator)
    assert award["status"] == "approved"


def test_held_award_reaches_quantive_only_when_approved(held_bot: BotHarness) -> None:
    bot = held_bot
    held_id = give_held(bot)
    assert bot.emulator.calls.count("POST /badges/assign") == 0
    bot.command("pending", user="UMARIA", response_key="p")
    [pending] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "p")
    assert held_id in str(pending["blocks"])

    bot.click("approve_award", held_id, "UMARIA", channel="DUMARIA")
    updates = bot.slack.wait_calls("chat.update", count=2)
    assert all("Approved by <@UMARIA>" in str(u["blocks"]) for u in updates)
    [award] = new_awards(bot.emulator)
    assert award["assignedById"] == AMARA and award["status"] == "approved"
    assert award["comment"] == "held thanks"
    posted = bot.slack.wait_calls("chat.postMessage", count=5)
    assert {"DUAMARA", "DULIAM", "CGENERAL"} <= {p["channel"] for p in posted[2:]}
    assert bot.emulator.calls.count("POST /badges/assign") == 1


def test_clicks_from_both_approvers_assign_once(held_bot: BotHarness) -> None:
    bot = held_bot
    held_id = give_held(bot)
    clicks = [
        threading.Thread(target=bot.click, args=("approve_award", held_id, who))
        for who in ["UMARIA", "UOLIVER", "UMARIA", "UOLIVER"] * 3
    ]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    bot.slack.wait_calls("chat.update", count=2)
    bot.wait_idle()
    assert bot.emulator.calls.count("POST /badges/assign") == 1
    assert len(new_awards(bot.emulator)) == 1


def test_rejected_held_award_never_reaches_quantive(held_bot: BotHarness) -> None:
    bot = held_bot
    held_id = give_held(bot)
    bot.click("reject_award", held_id, "UMARIA")
    [opened] = bot.slack.wait_calls("views.open")
    values = {"reason": {"reason": {"type": "plain_text_input", "value": "not this one"}}}
    bot.submit(opened["view"], values, user="UMARIA")
    [dm] = bot.slack.wait_calls("chat.postMessage", 3)[2:]
    assert dm["channel"] == "DUAMARA" and "not this one" in str(dm["blocks"])
    bot.wait_idle()
    assert bot.emulator.calls.count("POST /badges/assign") == 0
    assert new_awards(bot.emulator) == []


def test_an_approvers_own_give_is_made_at_once(held_bot: BotHarness) -> None:
    bot = held_bot
    bot.command("give <@ULIAM|liam> Team Player from a manager", user="UMARIA", response_key="g")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "g")
    assert "Done!" in reply["text"]
    [award] = new_awards(bot.emulator)
    assert award["status"] == "approved"


def test_giver_decides_reading_is_approved_in_quantive_too(emulator, slack, database_url) -> None:
    bot = BotHarness(emulator, slack, database_url, badge_approval="bot", **FAST_OUTBOX)
    bot.start()
    try:
        held_id = give_held(bot)
        bot.click("approve_award", held_id, "UOLIVER", channel="DUOLIVER")
        bot.slack.wait_calls("chat.update", count=2)
        [award] = new_awards(bot.emulator)
        assert award["status"] == "approved"  # Quantive queued it; the bot approved it there
        assert emulator.calls.count("POST /badges/approve/{id}") == 1
    finally:
        bot.stop()


def test_approval_during_an_outage_is_made_once_when_quantive_returns(
    held_bot: BotHarness,
) -> None:
    bot = held_bot
    held_id = give_held(bot)
    bot.emulator.faults.set("POST /badges/assign", Fault(status=429, retry_after=0))
    bot.click("approve_award", held_id, "UMARIA", channel="DUMARIA", response_key="a")
    [queued] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "a")
    assert "queued" in queued["text"]
    assert new_awards(bot.emulator) == []
    bot.emulator.faults.clear()
    updates = bot.slack.wait_calls("chat.update", count=2, timeout=10)
    assert all("Approved by <@UMARIA>" in str(u["blocks"]) for u in updates)
    bot.slack.wait_calls("chat.postMessage", count=5)
    [award] = new_awards(bot.emulator)
    assert award["status"] == "approved"


async def test_the_digest_lists_held_awards(held_bot: BotHarness) -> None:
    import asyncio

    held_id = await asyncio.to_thread(give_held, held_bot)
    async with slack_runtime(settings_for(held_bot, digest_channels=["CHR"])) as ctx:
        report = await ctx.digest.run()
    assert report.pending == 4  # three seeded in Quantive, one held by the bot
    digest = [p for p in held_bot.slack.calls_of("chat.postMessage") if p["channel"] == "CHR"]
    assert held_id in str(digest[0]["blocks"])


def test_a_held_award_approved_but_never_sent_goes_out_once(emulator, slack, database_url) -> None:
    """The worker sends it, and reads the holders first: Quantive makes it but its answer
    comes after the deadline, and the bot still recognises it and sends it only once."""
    emulator.token_user_decides = True
    settings = {**FAST_OUTBOX, "quantive_timeout": 0.3, "outbox_stale_seconds": 0.5}
    bot = BotHarness(emulator, slack, database_url, badge_approval="bot", **settings)
    bot.start()
    try:
        held_id = give_held(bot)
        emulator.faults.set("POST /badges/assign", Fault(latency_after=0.6))
        # As if the process died right after an approver took the award out of hold.
        row = int(held_id.removeprefix("held-"))
        assert bot.query(lambda store: store.release_held(row, "sending"))
        slack.wait_calls("chat.update", count=2, timeout=10)
        [award] = new_awards(bot.emulator)
        assert award["status"] == "approved"
        assert emulator.calls.count("POST /badges/assign") == 1
    finally:
        bot.stop()


def test_two_workers_slowed_by_quantive_send_a_released_held_award_once(
    emulator, slack, database_url, caplog
) -> None:
    """Two apps on one database both find the released award due and both read its
    holders slowly (past the stale window): the first to finish takes the row and sends
    it; the other finds it taken and sends nothing."""
    from sqlalchemy import text

    caplog.set_level(logging.INFO, logger="bot.recovery")
    emulator.token_user_decides = True
    settings = {**FAST_OUTBOX, "quantive_timeout": 0.3, "outbox_stale_seconds": 0.5}
    first = BotHarness(emulator, slack, database_url, badge_approval="bot", **settings).start()
    second = BotHarness(emulator, slack, database_url, badge_approval="bot", **settings).start()
    try:
        held_id = give_held(first)
        row = int(held_id.removeprefix("held-"))
        emulator.faults.set("GET /badges/assign/{id}", Fault(latency=0.8))

        async def released_long_ago(store) -> bool:
            # As if its approver's process died a while ago: both workers see it due at once.
            assert await store.release_held(row, "sending")
            async with store.connect() as conn:
                await conn.execute(
                    text("UPDATE award_outbox SET updated_at = 0 WHERE id = :r"), {"r": row}
                )
            return True

        assert first.query(released_long_ago)
        slack.wait_calls("chat.update", count=2, timeout=15)
        wait_until(lambda: f"outbox award {row}: another worker has it" in caplog.text, timeout=15)
        assert emulator.calls.count("POST /badges/assign") == 1
        assert len(new_awards(emulator)) == 1
    finally:
        first.stop()
        second.stop()


def test_revoking_a_held_award_after_approval_uses_quantives_id(held_bot: BotHarness) -> None:
    """The held key (``held-N``) is the bot's own: revoke sends Quantive the id Quantive
    gave the award, the badge really goes, and the export shows only Quantive's id."""
    bot = held_bot
    held_id = give_held(bot)
    bot.click("approve_award", held_id, "UMARIA", channel="DUMARIA")
    bot.slack.wait_calls("chat.update", count=2)
    [award] = new_awards(bot.emulator)
    bot.wait_idle()
    bot.command("revoke <@ULIAM|liam> Team Player", user="UMARIA", response_key="r")
    [question] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "r")
    button = question["blocks"][1]["elements"][0]
    assert button["action_id"] == "revoke_award"
    bot.click("revoke_award", button["value"], "UMARIA", response_key="rr")
    [done] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "rr")
    assert "Revoked" in done["text"]
    holders = bot.emulator.state.holders(award["badgeId"])
    assert "64a000000000000000000004" not in {u["id"] for u in holders["Users"]}


def test_an_approval_of_a_held_award_cut_off_by_a_crash_is_finished_once(
    emulator, slack, database_url
) -> None:
    """The approver's claim was written, then the process died before anything else: the
    worker finishes the held award itself (nothing of it is in Quantive's queue to read),
    so it is made once and everyone is told once, instead of being dropped as handled."""
    import asyncio
    import time

    from bot.awards.record import Decider
    from bot.store import Store

    emulator.token_user_decides = True
    bot = BotHarness(
        emulator, slack, database_url, badge_approval="bot", quantive_timeout=0.3,
        outbox_stale_seconds=0.5, **FAST_OUTBOX,
    ).start()  # fmt: skip
    try:
        held_id = give_held(bot)
        decider = Decider(name="maria", email="maria.garcia@acme.example", chat_user_id="UMARIA")

        async def claim_as_the_dead_process() -> None:
            store = Store(bot.settings.database)
            try:
                assert await store.claim_decision(
                    held_id, "approve", "UMARIA", decider=decider.model_dump_json()
                )
            finally:
                await store.aclose()

        claimed = time.monotonic()
        asyncio.run(claim_as_the_dead_process())
        updates = bot.slack.wait_calls("chat.update", count=2, timeout=15)
        assert time.monotonic() - claimed >= 0.5  # only once the claim was stale
        assert all("Approved by <@UMARIA>" in str(u["blocks"]) for u in updates)
        [award] = new_awards(bot.emulator)
        assert award["status"] == "approved" and award["assignedById"] == AMARA
        # The recipient's DM goes out from the worker beside the updates, not before them.
        bot.slack.wait_calls("chat.postMessage", where=lambda c: c["channel"] == "DULIAM")
        bot.wait_idle()
        posted = bot.slack.calls_of("chat.postMessage")
        assert [p["channel"] for p in posted].count("DULIAM") == 1
        assert bot.emulator.calls.count("POST /badges/assign") == 1
    finally:
        bot.stop()


def test_a_held_award_quantive_kept_in_its_queue_is_finished_by_the_next_click(
    emulator, slack, database_url
) -> None:
    """Quantive queued the held award and refused the bot's own approve once: the approver
    is told it waits, nobody is told it was approved, and the next click approves it in
    Quantive under Quantive's id, once, and tells everyone once."""
    bot = BotHarness(emulator, slack, database_url, badge_approval="bot", **FAST_OUTBOX)
    bot.start()
    try:
        held_id = give_held(bot)
        emulator.faults.set("POST /badges/approve/{id}", Fault(status=503, times=1))
        bot.click("approve_award", held_id, "UMARIA", channel="DUMARIA", response_key="a1")
        [told] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "a1")
        assert "kept it in its approval queue" in told["text"]
        [award] = new_awards(bot.emulator)
        assert award["status"] == "pending"
        bot.wait_idle()
        assert "DULIAM" not in {p["channel"] for p in bot.slack.calls_of("chat.postMessage")}

        bot.click("approve_award", held_id, "UOLIVER", channel="DUOLIVER", response_key="a2")
        updates = bot.slack.wait_calls("chat.update", count=2)
        assert all("Approved by <@UOLIVER>" in str(u["blocks"]) for u in updates)
        assert bot.emulator.state.assignments[award["id"]]["status"] == "approved"
        bot.slack.wait_calls("chat.postMessage", where=lambda p: p["channel"] == "DULIAM")
        bot.wait_idle()
        posted = [p["channel"] for p in bot.slack.calls_of("chat.postMessage")]
        assert posted.count("DULIAM") == 1 and posted.count("DUAMARA") == 1
        assert not any("held-" in str(c) for c in bot.emulator.calls.all())
    finally:
        bot.stop()
