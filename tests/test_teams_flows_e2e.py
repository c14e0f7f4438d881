"""The Teams story end to end, over HTTP: signed activities to the running app, the fake
Bot Connector recording what the bot sends, and the Quantive emulator deciding awards."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json

import pytest

from bot.cli.scheduled import digest_once as _digest_once
from tests.harness import new_awards
from tests.teams_client import action, actions, card_of, install, post_activity, send, texts
from tests.waiting import wait_until

VISIONARY = "64c000000000000000000002"


def approval_cards(teams) -> list[dict]:
    """The approval requests the bot sent, newest last."""
    return [
        a for a in teams.sent() if a.get("attachments") and "wants to give" in texts(card_of(a))
    ]


def sent_to(teams, conversation: str) -> list[str]:
    """What each activity sent to a conversation says."""
    return [
        texts(card_of(a)) if a.get("attachments") else a.get("text", "")
        for a in teams.sent()
        if a["conversation"] == conversation
    ]


def give_for_approval(bot, teams, comment: str = "thanks for the launch") -> dict:
    """Amara (not an approver) gives Liam Visionary; both approvers get a card."""
    install(bot, teams, "29:maria")  # Maria is listed by email: the install tells it
    message = teams.message(f"give {{29:liam}} Visionary {comment}", mentions=["29:liam"])
    send(bot, teams, message)
    [award] = new_awards(bot.emulator)
    assert award["status"] == "pending" and award["badgeId"] == VISIONARY
    return award


def test_give_then_approve_updates_every_card_and_tells_everyone(teams_bot, teams) -> None:
    award = give_for_approval(teams_bot, teams)
    assert award["comment"] == "thanks for the launch"
    cards = approval_cards(teams)
    assert sorted(c["conversation"] for c in cards) == ["a:maria", "a:oliver"]
    assert "Sent for approval" in " ".join(sent_to(teams, "a:amara"))
    olivers = next(c for c in cards if c["conversation"] == "a:oliver")

    answer = send(
        teams_bot,
        teams,
        teams.click(olivers, action(card_of(olivers), "approve"), user="29:oliver"),
    )

    body = answer.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Approved by Oliver Smith" in texts(body["value"])
    assert actions(body["value"]) == []  # no buttons once decided
    assert teams_bot.emulator.state.assignments[award["id"]]["status"] == "approved"
    updates = teams.updates()
    assert sorted((u["conversation"], u["activity"]) for u in updates) == sorted(
        (c["conversation"], c["id"]) for c in cards
    )
    assert all("Approved by Oliver Smith" in texts(card_of(u["body"])) for u in updates)
    assert any("was approved" in t for t in sent_to(teams, "a:amara"))
    assert any("You received" in t and "Visionary" in t for t in sent_to(teams, "a:liam"))


def test_reject_with_a_reason_tells_the_giver(teams_bot, teams) -> None:
    award = give_for_approval(teams_bot, teams)
    marias = next(c for c in approval_cards(teams) if c["conversation"] == "a:maria")
    reject = action(card_of(marias), "reject")
    answer = send(
        teams_bot,
        teams,
        teams.click(marias, reject, user="29:maria", inputs={"reason": "Not this quarter"}),
    )
    assert "Rejected by Maria Garcia: Not this quarter" in texts(answer.json()["value"])
    assert teams_bot.emulator.state.assignments[award["id"]]["status"] == "rejected"
    assert any("not approved" in t and "Not this quarter" in t for t in sent_to(teams, "a:amara"))
    assert sent_to(teams, "a:liam") == []  # nothing to celebrate


def test_an_approver_gives_directly_and_the_chat_celebrates(teams_bot, teams) -> None:
    message = teams.message(
        "give {29:liam} Visionary great demo",
        user="29:maria",
        conversation="19:general@thread.tacv2",
        conversation_type="channel",
        mentions=["29:liam"],
    )
    send(teams_bot, teams, message)
    [award] = new_awards(teams_bot.emulator)
    assert award["status"] == "approved"
    assert approval_cards(teams) == []
    celebration = " ".join(sent_to(teams, "19:general@thread.tacv2"))
    assert "Liam Chen received" in celebration and "Visionary" in celebration
    assert any("You received" in t for t in sent_to(teams, "a:liam"))
    # The giver's receipt goes to her 1:1 chat, not to the channel.
    assert any("Done!" in t for t in sent_to(teams, "a:maria"))


def test_concurrent_clicks_from_both_approvers_make_one_quantive_call(teams_bot, teams) -> None:
    award = give_for_approval(teams_bot, teams)
    cards = {c["conversation"]: c for c in approval_cards(teams)}
    clicks = [
        teams.click(cards[conv], action(card_of(cards[conv]), "approve"), user=user)
        for conv, user in [("a:maria", "29:maria"), ("a:oliver", "29:oliver")] * 5
    ]
    teams_bot.emulator.calls.clear()
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda a: post_activity(teams_bot, a, teams.sign()), clicks))
    teams_bot.wait_idle()
    assert all(a.status_code == 200 for a in answers)
    assert teams_bot.emulator.calls.count("POST /badges/approve/{id}") == 1
    assert teams_bot.emulator.state.assignments[award["id"]]["status"] == "approved"
    assert sum("was approved" in t for t in sent_to(teams, "a:amara")) == 1
    assert sum("You received" in t for t in sent_to(teams, "a:liam")) == 1


def test_a_non_approver_click_changes_nothing_and_says_why(teams_bot, teams) -> None:
    award = give_for_approval(teams_bot, teams)
    card = approval_cards(teams)[0]
    answer = send(
        teams_bot, teams, teams.click(card, action(card_of(card), "approve"), user="29:sofia")
    )
    assert answer.json()["type"] == "application/vnd.microsoft.activity.message"
    assert "Only approvers" in answer.json()["value"]
    assert teams_bot.emulator.state.assignments[award["id"]]["status"] == "pending"
    assert teams.updates() == []


def test_the_digest_reaches_a_subscribed_channel_once_a_day(teams_bot, teams) -> None:
    channel = "19:hr@thread.tacv2"
    subscribe = teams.message(
        "digest here", user="29:maria", conversation=channel, conversation_type="channel"
    )
    send(teams_bot, teams, subscribe)
    assert any("approval digest" in t for t in sent_to(teams, channel))
    give_for_approval(teams_bot, teams)
    settings = teams_bot.settings.model_copy(
        update={"slack_bot_token": None, "slack_signing_secret": None}
    )
    assert asyncio.run(_digest_once(settings, force=False, channel=None)) == 0
    assert asyncio.run(_digest_once(settings, force=False, channel=None)) == 0  # once a day
    digests = [a for a in teams.sent() if a["conversation"] == channel and a.get("attachments")]
    assert len(digests) == 1
    digest = card_of(digests[0])
    assert "waiting for approval" in texts(digest) and "Visionary" in texts(digest)
    # Approving from the digest redraws it for the clicker and for everyone.
    first = action(digest, "approve")
    answer = send(teams_bot, teams, teams.click(digests[0], first, user="29:oliver"))
    assert "Approved by Oliver Smith" in texts(answer.json()["value"])
    redrawn = [u for u in teams.updates() if u["activity"] == digests[0]["id"]]
    assert redrawn and "Approved by Oliver Smith" in texts(card_of(redrawn[-1]["body"]))


def test_the_message_extension_gives_from_a_message(teams_bot, teams) -> None:
    install(teams_bot, teams, "29:maria")
    link = "https://teams.microsoft.com/l/message/19:general/1700000000000"
    opened = send(
        teams_bot,
        teams,
        teams.invoke(
            "composeExtension/fetchTask",
            {
                "commandId": "giveBadge",
                "commandContext": "message",
                "messagePayload": {
                    "id": "1700000000000",
                    "linkToMessage": link,
                    "body": {"contentType": "html", "content": "shipped!"},
                },
            },
            user="29:amara",
            conversation="19:general@thread.tacv2",
        ),
    ).json()
    dialog = opened["task"]["value"]["card"]["content"]
    inputs = {e["id"]: e for e in dialog["body"] if "id" in e}
    assert {"people", "badge", "reason"} <= set(inputs)
    assert link in inputs["reason"]["value"]
    assert any(c["title"] == "Visionary" for c in inputs["badge"]["choices"])
    submitted = send(
        teams_bot,
        teams,
        teams.invoke(
            "composeExtension/submitAction",
            {
                "commandId": "giveBadge",
                "commandContext": "message",
                "data": {
                    "people": "aad-liam",
                    "badge": VISIONARY,
                    "reason": inputs["reason"]["value"],
                },
            },
            user="29:amara",
            conversation="19:general@thread.tacv2",
        ),
    )
    assert submitted.json() in ({}, None)
    [award] = new_awards(teams_bot.emulator)
    assert award["assigneeIds"] == ["64a000000000000000000004"] and link in award["comment"]
    assert len(approval_cards(teams)) == 2
    assert any("Sent for approval" in t for t in sent_to(teams, "a:amara"))


def test_the_dialog_says_what_is_missing(teams_bot, teams) -> None:
    answer = send(
        teams_bot,
        teams,
        teams.invoke(
            "composeExtension/submitAction",
            {"commandId": "giveBadge", "commandContext": "compose", "data": {"badge": VISIONARY}},
            user="29:amara",
            conversation="a:amara",
        ),
    ).json()
    assert "Pick at least one person" in texts(answer["task"]["value"]["card"]["content"])
    assert new_awards(teams_bot.emulator) == []


def test_a_person_who_cannot_be_reached_does_not_stop_the_rest(teams_bot, teams) -> None:
    teams.unreachable.add("29:noah")
    message = teams.message(
        "give {29:noah} and {29:liam} Visionary thanks",
        user="29:maria",
        conversation="a:maria",
        mentions=["29:noah", "29:liam"],
    )
    send(teams_bot, teams, message)
    [award] = new_awards(teams_bot.emulator)
    assert award["status"] == "approved" and len(award["assigneeIds"]) == 2
    assert any("You received" in t for t in sent_to(teams, "a:liam"))
    receipt = " ".join(sent_to(teams, "a:maria"))
    assert "Done!" in receipt and "couldn't message Noah Müller" in receipt
    assert "received" in receipt  # the celebration in the chat where it was given


def test_comments_are_never_markup_in_cards(teams_bot, teams) -> None:
    hostile = "<at>Maria Garcia</at> [win a prize](https://evil.example) **now**"
    give_for_approval(teams_bot, teams, comment=hostile)
    for card in approval_cards(teams):
        raw = json.dumps(card)
        assert "<at>" not in raw and "entities" not in card
        runs = [block for block in card_of(card)["body"] if "evil.example" in json.dumps(block)]
        assert runs and all(b["type"] == "RichTextBlock" for b in runs)


@pytest.mark.parametrize("text", ["", "what can you do", "lunch?"])
def test_anything_else_gets_help(teams_bot, teams, text) -> None:
    send(teams_bot, teams, teams.message(text))
    [reply] = teams.sent()
    assert "give" in texts(card_of(reply)) and "pending" in texts(card_of(reply))


def test_commands_answer_in_teams(teams_bot, teams) -> None:
    for command, expected in [
        ("list", "Visionary"),
        ("who Mentor", "held by"),
        ("mine", "Your badges"),
        ("top", "Most recognised people"),
        ("top month", "This month: 0 approved awards given through badgebot"),
        ("home", "Your requests waiting for approval"),
        ("pending", "3 badge awards are waiting for approval"),
        ("give {29:liam} Visionery thanks", "Did you mean “Visionary”"),
    ]:
        teams.reset()
        send(
            teams_bot,
            teams,
            teams.message(
                command,
                user="29:maria",
                conversation="a:maria",
                mentions=["29:liam"] if "{" in command else [],
            ),
        )
        assert any(expected in t for t in sent_to(teams, "a:maria")), (command, teams.sent())


def test_a_slack_give_approved_in_teams_is_told_in_slack(teams_bot, teams) -> None:
    """One core behind both: the claim is Quantive's assignment id, whoever clicks. The
    Slack messages are redrawn and the Slack giver told; Teams shows names, never ids."""
    bot = teams_bot
    bot.command("give <@ULIAM|liam> Visionary from slack", user="UAMARA", response_key="g")
    bot.slack.wait_calls("chat.postMessage", count=2)  # the Slack approvers' requests
    [award] = new_awards(bot.emulator)
    send(bot, teams, teams.message("pending", user="29:maria", conversation="a:maria"))
    [queue] = [a for a in teams.sent() if a.get("attachments")]
    approve = next(
        a for a in actions(card_of(queue)) if a["data"].get("assignment_id") == award["id"]
    )
    answer = send(bot, teams, teams.click(queue, approve, user="29:maria"))
    assert "Approved by Maria Garcia" in texts(answer.json()["value"])
    assert "<@" not in json.dumps(answer.json())  # Slack ids never reach a card
    updates = bot.slack.wait_calls("chat.update", count=2)
    assert all("Approved by *Maria Garcia*" in str(u["blocks"]) for u in updates)
    posted = bot.slack.wait_calls("chat.postMessage", count=5)
    assert {"DUAMARA", "DULIAM"} <= {p["channel"] for p in posted[2:]}
    assert teams.calls_to("a:amara") == []  # the giver is told where she gave it


def test_the_welcome_card_greets_a_new_install(teams_bot, teams) -> None:
    added = teams.activity(
        "conversationUpdate",
        user="29:sofia",
        conversation="a:sofia",
        membersAdded=[{"id": f"28:{teams.settings()['teams_app_id']}"}],
    )
    send(teams_bot, teams, added)
    [welcome] = [a for a in teams.sent() if a["conversation"] == "a:sofia"]
    content = card_of(welcome)
    assert "Thanks for adding badgebot" in texts(content)
    home = send(teams_bot, teams, teams.click(welcome, action(content, "home"), user="29:sofia"))
    assert "Your badges" in texts(home.json()["value"])
    assert actions(home.json()["value"]) == [action(home.json()["value"], "home")]  # no queue


def test_a_queued_give_is_delivered_once_and_the_giver_told(
    emulator, slack, teams, database_url
) -> None:
    from api.emulator import Fault
    from tests.harness import FAST_OUTBOX, BotHarness

    bot = BotHarness(emulator, slack, database_url, **teams.settings(), **FAST_OUTBOX).start()
    try:
        install(bot, teams, "29:maria")
        emulator.faults.set("POST /badges/assign", Fault(status=503, times=1))
        send(bot, teams, teams.message("give {29:liam} Visionary later", mentions=["29:liam"]))
        assert any("is queued" in t for t in sent_to(teams, "a:amara"))
        wait_until(lambda: any("went through" in t for t in sent_to(teams, "a:amara")), timeout=10)
        bot.wait_idle()
        assert emulator.calls.count("POST /badges/assign") == 2  # the 503, then the one
        assert len(new_awards(emulator)) == 1
        assert len(approval_cards(teams)) == 2
    finally:
        bot.stop()


def test_an_admin_deletes_a_badge_after_confirming(teams_bot, teams) -> None:
    send(
        teams_bot,
        teams,
        teams.message("delete Go-Getter", user="29:oliver", conversation="a:oliver"),
    )
    [question] = [a for a in teams.sent() if a["conversation"] == "a:oliver"]
    assert "Delete the badge Go-Getter?" in texts(card_of(question))
    refused = send(
        teams_bot,
        teams,
        teams.click(question, action(card_of(question), "delete_badge"), user="29:amara"),
    )
    assert "Only badge admins" in refused.json()["value"]
    done = send(
        teams_bot,
        teams,
        teams.click(question, action(card_of(question), "delete_badge"), user="29:oliver"),
    )
    assert "Go-Getter was deleted" in texts(done.json()["value"])
    assert "64c000000000000000000006" not in teams_bot.emulator.state.badges


def test_the_weekly_recap_reaches_a_teams_channel_once(teams_bot, teams) -> None:
    from bot.cli.scheduled import recap_once as _recap_once

    channel = "19:kudos@thread.tacv2"
    send(teams_bot, teams, teams.message("recap here", user="29:maria", conversation=channel))
    assert any("weekly recap" in t for t in sent_to(teams, channel))
    give = teams.message(
        "give {29:liam} Visionary <at>Oliver Smith</at> rocks",
        user="29:maria",
        mentions=["29:liam"],
    )
    send(teams_bot, teams, give)
    settings = teams_bot.settings.model_copy(
        update={"slack_bot_token": None, "slack_signing_secret": None}
    )
    assert asyncio.run(_recap_once(settings, force=False, channel=None)) == 0
    assert asyncio.run(_recap_once(settings, force=False, channel=None)) == 0
    recaps = [a for a in teams.sent() if a["conversation"] == channel and a.get("attachments")]
    assert len(recaps) == 1
    content = texts(card_of(recaps[0]))
    assert "This week's recognition: 1 award" in content and "Liam Chen" in content
    raw = json.dumps(recaps[0])
    assert "<at>" not in raw and "entities" not in recaps[0]  # named, never mentioned


def test_the_give_limit_holds_in_teams_too(emulator, slack, teams, database_url) -> None:
    from tests.harness import BotHarness

    bot = BotHarness(
        emulator, slack, database_url, **teams.settings(), badge_give_limit="1/week"
    ).start()
    try:
        install(bot, teams, "29:maria")
        send(bot, teams, teams.message("give {29:liam} Visionary one", mentions=["29:liam"]))
        send(bot, teams, teams.message("give {29:sofia} Mentor two", mentions=["29:sofia"]))
        replies = sent_to(teams, "a:amara")
        assert any("Sent for approval" in t for t in replies)
        assert any("Nothing was awarded" in t and "1 per week" in t for t in replies)
        assert len(new_awards(emulator)) == 1
        send(bot, teams, teams.message("mine"))
        assert any("0 of 1 gives left this week" in t for t in sent_to(teams, "a:amara"))
    finally:
        bot.stop()


def test_an_approval_names_recipients_the_bot_cannot_reach(teams_bot, teams) -> None:
    teams.unreachable.add("29:noah")
    install(teams_bot, teams, "29:maria")
    message = teams.message("give {29:noah} Visionary thanks", mentions=["29:noah"])
    send(teams_bot, teams, message)
    card = next(c for c in approval_cards(teams) if c["conversation"] == "a:maria")
    send(teams_bot, teams, teams.click(card, action(card_of(card), "approve"), user="29:maria"))
    told = " ".join(sent_to(teams, "a:amara"))
    assert "was approved" in told and "couldn't tell Noah Müller" in told


def test_approval_requests_can_go_to_one_channel(emulator, slack, teams, database_url) -> None:
    from tests.harness import BotHarness

    channel = "19:approvals@thread.tacv2"
    bot = BotHarness(
        emulator, slack, database_url, **teams.settings(), teams_approval_conversation=channel
    ).start()
    try:
        send(bot, teams, teams.message("give {29:liam} Visionary one", mentions=["29:liam"]))
        [card] = approval_cards(teams)
        assert card["conversation"] == channel
        send(bot, teams, teams.click(card, action(card_of(card), "approve"), user="29:oliver"))
        [update] = teams.updates()
        assert update["conversation"] == channel and update["activity"] == card["id"]
        assert "Approved by Oliver Smith" in texts(card_of(update["body"]))
    finally:
        bot.stop()


def test_a_slow_invoke_is_answered_in_time_and_finishes_after(teams_bot, teams, monkeypatch):
    import time

    from api.emulator import Fault

    monkeypatch.setattr("handlers.teams.app.ANSWER_WITHIN", 0.5)
    teams_bot.emulator.faults.set("GET /badges/approve", Fault(latency=1.5))
    card = {"conversation": "a:maria", "id": "activity-home"}
    click = teams.click(card, {"verb": "home", "data": {"action": "home"}}, user="29:maria")
    started = time.monotonic()
    answer = post_activity(teams_bot, click, teams.sign())
    assert time.monotonic() - started < 1.4  # answered before Quantive did
    assert "taking longer than usual" in answer.json()["value"]
    teams_bot.wait_idle()  # the work carried on and finished
    assert teams_bot.emulator.calls.count("GET /badges/approve") >= 1


def test_a_teams_give_approved_in_slack_names_the_approver_on_every_card(
    teams_bot, teams, monkeypatch, capsys
) -> None:
    """The record names who decided, whatever platform they used: every Teams card reads
    the Slack approver's name (never "an approver", never a Slack id), the giver hears in
    Teams, and the export names the approver by email."""
    from bot.__main__ import main

    award = give_for_approval(teams_bot, teams)
    teams_bot.click("approve_award", award["id"], "UMARIA", channel="DUMARIA")
    wait_until(lambda: len(teams.updates()) >= 2)
    updates = teams.updates()
    assert sorted(u["conversation"] for u in updates) == ["a:maria", "a:oliver"]
    for update in updates:
        shown = texts(card_of(update["body"]))
        assert "Approved by maria" in shown and "an approver" not in shown and "<@" not in shown
    wait_until(lambda: any("approved" in t for t in sent_to(teams, "a:amara")))
    for key, value in {
        "QUANTIVE_API_URL": teams_bot.emulator.url,
        "QUANTIVE_API_TOKEN": "emulator-token",
        "QUANTIVE_ACCOUNT_ID": teams_bot.emulator.account_id,
        "DATABASE_URL": teams_bot.settings.database,
    }.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["export", "--format", "jsonl"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["decided_by"] == "maria.garcia@acme.example" and row["platform"] == "teams"
