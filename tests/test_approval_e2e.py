"""End to end: Approve and Reject, exactly once, with every message updated in place."""

from __future__ import annotations

import threading

import pytest

from tests.harness import BotHarness

TEAM_PLAYER = "64c000000000000000000001"


def give_pending(bot: BotHarness) -> str:
    """Amara (not a manager) gives Liam a badge; returns the new assignment id."""
    bot.command("give <@ULIAM|liam> Team Player great pairing", response_key="give")
    bot.slack.wait_calls("chat.postMessage", count=2)
    seeded = {"64d000000000000000000001", "64d000000000000000000002", "64d000000000000000000003"}
    [award] = [a for a in bot.emulator.state.pending() if a["id"] not in seeded]
    return award["id"]


def request_messages(bot: BotHarness) -> list[dict]:
    return [
        m for m in bot.slack.calls_of("chat.postMessage") if m["channel"] in ("DUMARIA", "DUOLIVER")
    ]


@pytest.mark.both_backends
def test_approve_updates_every_request_and_notifies(bot: BotHarness) -> None:
    award_id = give_pending(bot)
    bot.click("approve_award", award_id, "UMARIA", channel="DUMARIA")

    updates = bot.slack.wait_calls("chat.update", count=2)
    assert {u["channel"] for u in updates} == {"DUMARIA", "DUOLIVER"}
    for update in updates:
        assert "Approved by <@UMARIA>" in str(update["blocks"])
        assert all(b["type"] != "actions" for b in update["blocks"])  # buttons removed
    assert bot.emulator.state.assignments[award_id]["status"] == "approved"

    posted = bot.slack.wait_calls("chat.postMessage", count=5)
    channels = [p["channel"] for p in posted[2:]]
    assert "DUAMARA" in channels  # the giver hears the outcome
    assert "DULIAM" in channels  # the recipient gets the award
    assert "CGENERAL" in channels  # celebrated where it was given
    assert bot.emulator.calls.count("POST /badges/approve/{id}") == 1


def test_non_approver_click_is_refused_and_calls_nothing(bot: BotHarness) -> None:
    award_id = give_pending(bot)
    bot.click("approve_award", award_id, "USOFIA", response_key="sofia")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "sofia")
    assert "Only approvers can approve" in reply["text"]
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    bot.click("reject_award", award_id, "USOFIA", response_key="sofia2")
    bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "sofia2")
    assert bot.emulator.calls.count("POST /badges/approve/{id}") == 0
    assert bot.slack.calls_of("views.open") == []
    assert bot.emulator.state.assignments[award_id]["status"] == "pending"


@pytest.mark.both_backends
def test_double_click_and_two_approvers_make_one_call(bot: BotHarness) -> None:
    award_id = give_pending(bot)
    bot.emulator.faults.set(
        "POST /badges/approve/{id}",
        __import__("api.emulator", fromlist=["Fault"]).Fault(latency=0.3),
    )
    clicks = [("UMARIA", "m1"), ("UMARIA", "m2"), ("UOLIVER", "o1")]
    threads = [
        threading.Thread(
            target=bot.click, args=("approve_award", award_id, user), kwargs={"response_key": key}
        )
        for user, key in clicks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.slack.wait_calls("chat.update", count=2)
    bot.slack.wait_calls("chat.postMessage", count=5)
    assert bot.emulator.calls.count("POST /badges/approve/{id}") == 1
    errors = [
        r
        for r in bot.slack.calls_of("response_url")
        if r["_key"] != "give" and "Nothing changed" in r.get("text", "")
    ]
    assert errors == []


def test_reject_asks_reason_then_updates_and_tells_giver(bot: BotHarness) -> None:
    award_id = give_pending(bot)
    bot.click("reject_award", award_id, "UOLIVER", channel="DUOLIVER")
    [opened] = bot.slack.wait_calls("views.open")
    view = opened["view"]
    assert view["callback_id"] == "reject_award_reason"
    values = {
        "reason": {"reason": {"type": "plain_text_input", "value": "Needs <!here> more detail"}}
    }
    assert bot.submit(view, values, user="UOLIVER").status_code == 200

    updates = bot.slack.wait_calls("chat.update", count=2)
    text = str(updates[0]["blocks"])
    assert "Rejected by <@UOLIVER>: Needs &lt;!here&gt; more detail" in text
    assert bot.emulator.state.assignments[award_id]["status"] == "rejected"
    giver_dm = bot.slack.wait_calls("chat.postMessage", count=3)[2]
    assert giver_dm["channel"] == "DUAMARA" and "not approved" in str(giver_dm["blocks"])
    assert "DULIAM" not in [p["channel"] for p in bot.slack.calls_of("chat.postMessage")]


def test_award_already_handled_in_quantive_is_said_calmly(bot: BotHarness) -> None:
    award_id = give_pending(bot)
    bot.emulator.state.decide(award_id, approve=True)  # someone used Quantive's web app
    bot.click("approve_award", award_id, "UMARIA", response_key="late")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "late")
    assert "already approved or rejected in Quantive" in reply["text"]
    updates = bot.slack.wait_calls("chat.update", count=2)
    assert "Already handled in Quantive" in str(updates[0]["blocks"])


@pytest.mark.both_backends
def test_quantive_failure_releases_claim_so_retry_works(bot: BotHarness) -> None:
    from api.emulator import Fault

    award_id = give_pending(bot)
    bot.emulator.faults.set("POST /badges/approve/{id}", Fault(status=403, times=1))
    bot.click("approve_award", award_id, "UMARIA", response_key="first")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "first")
    assert "Nothing changed" in reply["text"] and "403" in reply["text"]
    bot.click("approve_award", award_id, "UMARIA", response_key="second")
    bot.slack.wait_calls("chat.update", count=2)
    assert bot.emulator.state.assignments[award_id]["status"] == "approved"


def test_approval_channel_setting_posts_one_request(emulator, slack, database_url) -> None:
    harness = BotHarness(
        emulator,
        slack,
        database_url,
        badge_approval_channel="CAPPROVALS",
        badge_announce_channel="CKUDOS",
    ).start()
    try:
        harness.command("give <@ULIAM|liam> Team Player yes")
        [request] = slack.wait_calls("chat.postMessage")
        assert request["channel"] == "CAPPROVALS"
        award_id = request["blocks"][-1]["elements"][0]["value"]
        harness.click("approve_award", award_id, "UOLIVER")
        posted = slack.wait_calls("chat.postMessage", count=4)
        assert "CKUDOS" in [p["channel"] for p in posted]
        assert "CGENERAL" not in [p["channel"] for p in posted]
    finally:
        harness.stop()
