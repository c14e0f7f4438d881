"""Teams hardening over the real pipeline (issue 21, items 5, 6 and 13): signed activities
to the running app, the fake Bot Connector recording what the bot sends back."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from tests.harness import BotHarness, new_awards
from tests.teams_client import card_of, install, nodes, post_activity, send, texts

VISIONARY = "64c000000000000000000002"
LIAM_QUANTIVE = "64a000000000000000000004"
#: What Teams would draw as a live link if it reached markdown.
HOSTILE = "[Reset](https://evil.example)"


def give_dialog(teams: Any, *, user: str, conversation: str, people: str) -> dict[str, Any]:
    """The message extension's dialog, submitted: ``people`` gets Visionary."""
    return teams.invoke(
        "composeExtension/submitAction",
        {
            "commandId": "giveBadge",
            "commandContext": "compose",
            "data": {"people": people, "badge": VISIONARY, "reason": "for the launch"},
        },
        user=user,
        conversation=conversation,
    )


# --- item 5: a retried activity is handled once ------------------------------------------


def test_a_retried_give_message_makes_one_award(teams_bot, teams) -> None:
    install(teams_bot, teams, "29:maria")
    message = teams.message("give {29:liam} Visionary thanks", mentions=["29:liam"])
    for _ in range(3):  # Teams delivers the same activity (same id) again after a timeout
        send(teams_bot, teams, message)
    assert len(new_awards(teams_bot.emulator)) == 1
    receipts = [t for t in sent_texts(teams, "a:amara") if "Sent for approval" in t]
    assert len(receipts) == 1


def test_a_retried_dialog_submit_makes_one_award(teams_bot, teams) -> None:
    submit = give_dialog(teams, user="29:amara", conversation="a:amara", people="aad-liam")
    answers = [send(teams_bot, teams, submit) for _ in range(3)]
    assert all(a.status_code == 200 for a in answers)
    assert len(new_awards(teams_bot.emulator)) == 1


def test_activities_with_other_ids_are_all_handled(teams_bot, teams) -> None:
    """The same text sent twice is two activities (two ids): both are answered."""
    for _ in range(2):
        send(teams_bot, teams, teams.message("help"))
    assert len(teams.calls_to("a:amara")) == 2


# --- item 6: no text from outside ever reaches markdown -------------------------------


def markdown_leaks(element: Any, needle: str = "evil.example") -> list[dict[str, Any]]:
    """The nodes of a card where Teams reads markdown (TextBlock, FactSet) that hold
    ``needle``; a RichTextBlock's TextRuns are never markdown."""
    leaks = []
    for node in nodes(element):
        if node.get("type") == "TextBlock" and needle in str(node.get("text", "")):
            leaks.append(node)
        if node.get("type") == "FactSet" and needle in json.dumps(node.get("facts")):
            leaks.append(node)
    return leaks


def every_card(teams: Any, answers: list[Any]) -> list[dict[str, Any]]:
    """Every card the bot sent, updated, or answered an invoke with."""
    found = [card_of(a) for a in teams.sent() if a.get("attachments")]
    found += [card_of(u["body"]) for u in teams.updates() if u["body"].get("attachments")]
    for answer in answers:
        body = answer.json() if answer.content else None
        if isinstance(body, dict) and isinstance(body.get("value"), dict):
            found.append(body["value"])
    return found


def test_names_from_quantive_are_never_markdown_in_any_card(
    emulator, slack, teams, database_url
) -> None:
    state = emulator.state
    state.badges[VISIONARY]["name"] = f"{HOSTILE} Visionary"
    state.users[LIAM_QUANTIVE]["name"] = HOSTILE
    for team in state.teams.values():
        team["name"] = f"{HOSTILE} team"
    bot = BotHarness(emulator, slack, database_url, **teams.settings()).start()
    try:
        channel = "19:kudos@thread.tacv2"
        answers = [
            send(bot, teams, teams.message("recap here", user="29:maria", conversation=channel))
        ]
        answers.append(
            send(
                bot,
                teams,
                give_dialog(teams, user="29:maria", conversation=channel, people="aad-liam"),
            )
        )
        answers.append(
            send(
                bot,
                teams,
                give_dialog(teams, user="29:amara", conversation="a:amara", people="aad-sofia"),
            )
        )
        assert len(new_awards(emulator)) == 2
        for command in ["top", "top week", "list", "mine", "home", "pending", "mine {29:liam}"]:
            message = teams.message(
                command,
                user="29:maria",
                conversation="a:maria",
                mentions=["29:liam"] if "{" in command else [],
            )
            answers.append(send(bot, teams, message))
        settings = bot.settings.model_copy(
            update={"slack_bot_token": None, "slack_signing_secret": None}
        )
        from bot.cli.scheduled import recap_once

        assert asyncio.run(recap_once(settings, force=False, channel=None)) == 0
        cards = every_card(teams, answers)
        seen = " ".join(texts(c) for c in cards)
        assert "evil.example" in seen  # the names are shown, as text
        assert "Most recognised" in seen and "This week's recognition" in seen
        leaks = [leak for c in cards for leak in markdown_leaks(c)]
        assert leaks == []
    finally:
        bot.stop()


# --- item 13: malformed but authenticated activities, forged ids ---------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"from": "29:amara"},
        {"conversation": ["a:amara"]},
        {"entities": "none"},
        {"id": 12345678901234567890},
        {"type": 5},
    ],
    ids=["from", "conversation", "entities", "id", "type"],
)
def test_a_malformed_signed_activity_is_one_log_line(teams_bot, teams, caplog, change) -> None:
    caplog.set_level(logging.INFO)
    teams_bot.wait_idle()
    caplog.clear()
    activity = {**teams.message("give {29:liam} Visionary", mentions=["29:liam"]), **change}
    answer = post_activity(teams_bot, activity, teams.sign())
    assert answer.status_code == 400
    teams_bot.wait_idle()
    ours = [
        r
        for r in caplog.records
        if r.name.startswith(("microsoft_teams", "handlers", "bot")) and r.levelno >= logging.INFO
    ]
    assert len(ours) == 1, [r.getMessage() for r in ours]
    [line] = ours
    assert line.exc_info is None and "\n" not in line.getMessage()
    assert line.levelno == logging.WARNING
    assert new_awards(teams_bot.emulator) == [] and teams.calls == []


@pytest.mark.parametrize(
    "change",
    [
        {"conversation": "a:amara/../../x"},
        {"user": "29:amara?x=1"},
        {"conversation": "a:" + "x" * 600},
    ],
    ids=["conversation", "sender", "long"],
)
def test_an_activity_with_forged_ids_is_ignored(teams_bot, teams, caplog, change) -> None:
    activity = teams.message("help", **change)
    answer = post_activity(teams_bot, activity, teams.sign())
    assert answer.status_code == 200
    teams_bot.wait_idle()
    assert teams.calls == [] and teams.member_lookups == 0
    conversation = activity["conversation"]["id"]
    assert teams_bot.query(lambda store: store.conversation(conversation)) is None
    assert "Teams could not have sent" in caplog.text


FORGED_KEYS = ["held-99999999999999999999", "held-0", "held-9223372036854775808"]


@pytest.mark.parametrize("key", FORGED_KEYS)
def test_a_forged_held_key_never_reaches_the_store(teams_bot, teams, caplog, key) -> None:
    click = teams.invoke(
        "adaptiveCard/action",
        {"action": {"type": "Action.Execute", "verb": "approve", "data": {"assignment_id": key}}},
        user="29:maria",
        conversation="a:maria",
    )
    answer = send(teams_bot, teams, click)
    assert "no longer valid" in answer.json()["value"]
    assert teams_bot.query(lambda store: store.decision(key)) is None
    assert "Error" not in caplog.text


@pytest.mark.parametrize(
    "data",
    [
        {"assignment_id": "held-99999999999999999999", "assignee_id": LIAM_QUANTIVE},
        {"assignment_id": "../badges", "assignee_id": LIAM_QUANTIVE},
        {"assignment_id": "64d000000000000000000001", "assignee_id": "../../badges/x?y="},
    ],
    ids=["held", "path", "assignee"],
)
def test_a_forged_revoke_button_changes_nothing(teams_bot, teams, data) -> None:
    click = teams.invoke(
        "adaptiveCard/action",
        {"action": {"type": "Action.Execute", "verb": "revoke", "data": data}},
        user="29:oliver",
        conversation="a:oliver",
    )
    answer = send(teams_bot, teams, click)
    assert "no longer valid" in answer.json()["value"]
    assert not [c for c in teams_bot.emulator.calls.all() if c.route.startswith("DELETE")]


@pytest.mark.parametrize(
    "people", ["../../v3/conversations", "aad-liam,29:x/../y", "x" * 600], ids=str.__len__
)
def test_forged_people_in_the_dialog_change_nothing(teams_bot, teams, people) -> None:
    teams_bot.wait_idle()
    before = teams.member_lookups
    answer = send(
        teams_bot, teams, give_dialog(teams, user="29:amara", conversation="a:amara", people=people)
    )
    content = answer.json()["task"]["value"]["card"]["content"]
    assert "Pick people from the list" in texts(content)
    assert new_awards(teams_bot.emulator) == []
    assert teams.member_lookups == before


def sent_texts(teams: Any, conversation: str) -> list[str]:
    """What each activity sent to a conversation says."""
    return [
        texts(card_of(a)) if a.get("attachments") else a.get("text", "")
        for a in teams.sent()
        if a["conversation"] == conversation
    ]
