"""Decisions on the less-travelled paths (issue 21): an approved held award that Quantive
refuses, and one interrupted decision that several surviving processes recover at once.
Each drives the running app with signed requests, the fake Slack and the emulator."""

from __future__ import annotations

import json

import pytest

from api.emulator import Fault
from tests.harness import FAST_OUTBOX, BotHarness, new_awards
from tests.teams_client import action, actions, card_of, install, send, texts
from tests.test_bot_approval_e2e import (
    give_held,
)
from tests.test_teams_flows_e2e import approval_cards, sent_to
from tests.waiting import wait_until


def everything_posted(bot: BotHarness) -> str:
    """Every text and block the bot sent anyone, as one string."""
    calls = [
        c
        for method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
        for c in bot.slack.calls_of(method)
    ]
    return " ".join(str(c.get("text", "")) + str(c.get("blocks", "")) for c in calls)


# --- 2. Quantive refuses the assign of an approved held award ------------------------------


def test_a_held_award_quantive_refuses_is_shown_refused_everywhere(held_bot: BotHarness) -> None:
    bot = held_bot
    held_id = give_held(bot)  # two approval requests, one to each approver
    bot.emulator.faults.set("POST /badges/assign", Fault(status=400, times=1))
    bot.click("approve_award", held_id, "UMARIA", channel="DUMARIA", response_key="a")
    [answer] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "a")
    assert "refused" in answer["text"] and "Nothing changed" not in answer["text"]
    assert "injected 400" in answer["text"]
    # Both approval requests are redrawn as refused, with no buttons left to click.
    updates = bot.slack.wait_calls("chat.update", count=2)
    for update in updates:
        assert "refused" in str(update["blocks"]) and "approve_award" not in str(update["blocks"])
    # The giver is told why.
    told = bot.slack.wait_calls(
        "chat.postEphemeral",
        where=lambda c: c["user"] == "UAMARA" and "injected 400" in c["text"],
    )
    assert "not made" in told[0]["text"]
    # A second approver is told it was refused, not that it was approved.
    bot.click("approve_award", held_id, "UOLIVER", channel="DUOLIVER", response_key="b")
    [again] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "b")
    assert "refused" in again["text"] and "already approved" not in again["text"]
    bot.wait_idle()
    assert bot.emulator.calls.count("POST /badges/assign") == 1
    assert new_awards(bot.emulator) == []
    said = everything_posted(bot)
    assert "You received" not in said and "was approved" not in said
    assert "Approved by <@UMARIA>" not in said.replace("Approved by <@UMARIA>, but", "")


def test_a_held_teams_award_quantive_refuses_is_drawn_refused(
    emulator, slack, teams, database_url
) -> None:
    emulator.token_user_decides = True
    settings = {**FAST_OUTBOX, **teams.settings()}
    bot = BotHarness(emulator, slack, database_url, badge_approval="bot", **settings).start()
    try:
        install(bot, teams, "29:maria")
        send(bot, teams, teams.message("give {29:liam} Visionary held", mentions=["29:liam"]))
        cards = approval_cards(teams)
        assert len(cards) == 2 and new_awards(emulator) == []
        emulator.faults.set("POST /badges/assign", Fault(status=400, times=1))
        marias = next(c for c in cards if c["conversation"] == "a:maria")
        approve = teams.click(marias, action(card_of(marias), "approve"), user="29:maria")
        answer = send(bot, teams, approve).json()
        assert "Quantive refused this award" in texts(answer["value"])
        assert actions(answer["value"]) == []  # nothing left to click
        assert any("not made" in t and "injected 400" in t for t in sent_to(teams, "a:amara"))
        updates = teams.updates()
        assert {u["activity"] for u in updates} == {c["id"] for c in cards}
        assert all("refused" in texts(card_of(u["body"])) for u in updates)
        # The other approver's card says refused too, not "already approved".
        olivers = next(c for c in cards if c["conversation"] == "a:oliver")
        again = teams.click(olivers, action(card_of(olivers), "approve"), user="29:oliver")
        later = send(bot, teams, again).json()
        assert "refused" in json.dumps(later) and "already approved" not in json.dumps(later)
        assert not any("You received" in t for t in sent_to(teams, "a:liam"))
        assert emulator.calls.count("POST /badges/assign") == 1
    finally:
        bot.stop()


# --- 3. surviving processes recover one interrupted decision -------------------------------


def posted_to(bot: BotHarness, channel: str) -> list[dict]:
    return [p for p in bot.slack.calls_of("chat.postMessage") if p["channel"] == channel]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_interrupted_decision_is_recovered_once_by_many_processes(
    emulator, slack, database_url
) -> None:
    # The survivors take over a decision 0.5 s old; the one that dies waits long on Quantive.
    quick = {**FAST_OUTBOX, "quantive_timeout": 0.4, "outbox_stale_seconds": 0.5}
    dying = BotHarness(emulator, slack, database_url, **FAST_OUTBOX, quantive_timeout=5.0)
    survivors = [BotHarness(emulator, slack, database_url, **quick) for _ in range(2)]
    dying.start()
    try:
        for bot in survivors:
            bot.start()
        dying.command("give <@ULIAM|liam> Team Player great pairing", response_key="give")
        slack.wait_calls("chat.postMessage", count=2)  # the approval requests
        [award] = [a for a in new_awards(emulator) if a["status"] == "pending"]
        # Quantive approves, then the process dies before its answer arrives.
        emulator.faults.set("POST /badges/approve/{id}", Fault(latency_after=3.0))
        # Every survivor's look at the queue takes a while, so their recoveries overlap.
        emulator.faults.set("GET /badges/approve", Fault(latency=0.3))
        dying.click("approve_award", award["id"], "UMARIA", channel="DUMARIA")
        wait_until(lambda: emulator.state.assignments[award["id"]]["status"] == "approved")
        dying.crash()
        slack.wait_calls("chat.postMessage", count=5, timeout=10)
        # The approval requests are redrawn from the outbox, beside those posts.
        slack.wait_calls("chat.update", count=2, timeout=10)
        for bot in survivors:
            wait_until(lambda b=bot: b.query(lambda s: s.unfinished_decisions(1e12)) == [])
            bot.wait_idle()
    finally:
        dying.crash()
        for bot in survivors:
            bot.stop()
    assert len(posted_to(survivors[0], "DUAMARA")) == 1  # the giver
    assert len(posted_to(survivors[0], "DULIAM")) == 1  # the recipient
    assert len(posted_to(survivors[0], "CGENERAL")) == 1  # the celebration
    assert len(slack.calls_of("chat.update")) == 2  # each approval request, once
