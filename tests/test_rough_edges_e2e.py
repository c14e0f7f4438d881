"""A new user's rough edges over the real pipeline (issue 21): signed Slack requests and
Teams activities to the running app, the fakes recording what the bot sent back."""

from __future__ import annotations

import pytest

from tests.harness import BotHarness, new_awards
from tests.teams_client import card_of, send, texts

VISIONARY = "64c000000000000000000002"
CHANNEL = "19:general@thread.tacv2"


def sent_to(teams, conversation: str) -> list[str]:
    """What each activity the bot sent to a conversation says."""
    return [
        texts(card_of(a)) if a.get("attachments") else a.get("text", "")
        for a in teams.sent()
        if a["conversation"] == conversation
    ]


@pytest.mark.parametrize(
    ("typed", "name"),
    [("Team Plyer thanks for pairing", "Team Plyer"), ("Tem Player thanks", "Tem Player")],
)
def test_slack_a_typo_in_a_badge_name_is_suggested_not_given(
    bot: BotHarness, typed: str, name: str
) -> None:
    bot.command(f"give <@ULIAM|liam> {typed}")
    [reply] = bot.slack.wait_calls("response_url")
    assert f"I don't know a badge called “{name}”. Did you mean *Team Player*?" in reply["text"]
    bot.wait_idle()
    assert new_awards(bot.emulator) == []


def test_teams_a_typo_in_a_badge_name_is_suggested_not_given(teams_bot, teams) -> None:
    message = teams.message("give {29:liam} Team Plyer thanks", mentions=["29:liam"])
    send(teams_bot, teams, message)
    [answer] = sent_to(teams, "a:amara")
    assert "I don't know a badge called “Team Plyer”. Did you mean “Team Player”?" in answer
    assert new_awards(teams_bot.emulator) == []


def test_teams_a_give_in_a_channel_is_answered_there_and_in_the_chat(teams_bot, teams) -> None:
    message = teams.message(
        "give {29:liam} Visionary for the roadmap", conversation=CHANNEL, mentions=["29:liam"]
    )
    send(teams_bot, teams, message)
    [award] = new_awards(teams_bot.emulator)
    assert award["status"] == "pending"
    [here] = sent_to(teams, CHANNEL)  # the sender sees their give land where they typed it
    assert "Sent for approval: “Visionary” for Liam Chen" in here
    assert any("Sent for approval" in t for t in sent_to(teams, "a:amara"))  # and in the DM


def test_teams_a_typo_in_a_channel_is_answered_there(teams_bot, teams) -> None:
    message = teams.message("give {29:liam} Visonary", conversation=CHANNEL, mentions=["29:liam"])
    send(teams_bot, teams, message)
    [here] = sent_to(teams, CHANNEL)
    assert "Did you mean “Visionary”?" in here


def test_teams_a_direct_give_in_a_channel_is_celebrated_there_once(teams_bot, teams) -> None:
    message = teams.message(
        "give {29:liam} Visionary great demo",
        user="29:maria",
        conversation=CHANNEL,
        mentions=["29:liam"],
    )
    send(teams_bot, teams, message)
    [celebration] = sent_to(teams, CHANNEL)  # the celebration is the answer: no second one
    assert "Liam Chen received" in celebration
    assert any("Done!" in t for t in sent_to(teams, "a:maria"))


def submit_dialog(teams_bot, teams, data: dict[str, str]) -> str:
    """Submit the give dialog with ``data``; what the dialog shown again says."""
    answer = send(
        teams_bot,
        teams,
        teams.invoke(
            "composeExtension/submitAction",
            {"commandId": "giveBadge", "commandContext": "compose", "data": data},
            user="29:amara",
            conversation="a:amara",
        ),
    ).json()
    return texts(answer["task"]["value"]["card"]["content"])


def test_teams_the_empty_dialog_names_everything_missing(teams_bot, teams) -> None:
    assert "Pick at least one person and a badge from the list." in submit_dialog(
        teams_bot, teams, {"reason": "thanks"}
    )
    assert "Pick a badge from the list." in submit_dialog(teams_bot, teams, {"people": "aad-liam"})
    assert "Pick at least one person." in submit_dialog(teams_bot, teams, {"badge": VISIONARY})
    assert new_awards(teams_bot.emulator) == []
