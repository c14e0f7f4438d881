"""Teams on a par with Slack (issue 24), end to end: signed activities to one app for the
module, the fake Bot Connector recording what the bot sends, and the Quantive emulator.
Home cards redrawn by decisions made elsewhere, tag mentions, ``export`` and the badge
editor card."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.emulator import Emulator
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeTeams
from tests.harness import BotHarness, new_awards
from tests.teams_client import card_of, install, send, texts
from tests.waiting import wait_until

VISIONARY = "64c000000000000000000002"


@pytest.fixture(scope="module")
def app(
    emulator_server: Emulator,
    slack_server: FakeSlack,
    teams_server: FakeTeams,
    migrated_sqlite: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotHarness]:
    """One app serving Slack and Teams for the module (starting one per test is slow)."""
    path = tmp_path_factory.mktemp("teams-parity") / "bot.db"
    shutil.copyfile(migrated_sqlite, path)
    harness = BotHarness(
        emulator_server, slack_server, f"sqlite:///{path}", **teams_server.settings()
    ).start()
    yield harness
    harness.stop()


@pytest.fixture
def bot(app: BotHarness, emulator: Emulator, slack: FakeSlack, teams: FakeTeams) -> BotHarness:
    """The module's app, with the fakes' records forgotten."""
    return app


def home_of(teams: FakeTeams, conversation: str) -> dict:
    """The last home card the bot sent to a conversation."""
    homes = [
        a
        for a in teams.sent()
        if a["conversation"] == conversation
        and a.get("attachments")
        and "Your requests waiting for approval" in texts(card_of(a))
    ]
    assert homes, teams.sent()
    return homes[-1]


def redraws_of(teams: FakeTeams, sent: dict) -> list[str]:
    """What each update of a sent card shows, oldest first."""
    return [
        texts(card_of(u["body"]))
        for u in teams.updates()
        if u["conversation"] == sent["conversation"] and u["activity"] == sent["id"]
    ]


# --- 1. home cards follow decisions made elsewhere -----------------------------------


def test_a_decision_in_slack_redraws_the_teams_homes_that_show_the_award(bot, teams) -> None:
    install(bot, teams, "29:maria")
    give = teams.message("give {29:liam} Visionary for the parity work", mentions=["29:liam"])
    send(bot, teams, give)
    [award] = new_awards(bot.emulator)
    send(bot, teams, teams.message("home", user="29:maria", conversation="a:maria"))
    send(bot, teams, teams.message("home", user="29:amara", conversation="a:amara"))
    maria, amara = home_of(teams, "a:maria"), home_of(teams, "a:amara")
    assert "for the parity work" in texts(card_of(amara))  # her request, waiting
    assert "for the parity work" in texts(card_of(maria))  # in the approver's queue

    # Decided in Slack: both Teams home cards are redrawn in place, for everyone.
    bot.click("approve_award", award["id"], "UMARIA")
    wait_until(lambda: bot.emulator.state.assignments[award["id"]]["status"] == "approved")
    bot.wait_idle()
    wait_until(lambda: bool(redraws_of(teams, amara)) and bool(redraws_of(teams, maria)))
    bot.wait_idle()
    assert "for the parity work" not in redraws_of(teams, amara)[-1]
    assert "for the parity work" not in redraws_of(teams, maria)[-1]
    # Someone neither involved nor an approver has no home card redrawn.
    assert teams.calls_to("a:sofia") == []


def test_a_home_in_a_channel_is_not_redrawn_for_everyone(bot, teams) -> None:
    channel = "19:general@thread.tacv2"
    send(bot, teams, teams.message("home", user="29:oliver", conversation=channel))
    home = home_of(teams, channel)
    give = teams.message("give {29:liam} Visionary for the channel", mentions=["29:liam"])
    send(bot, teams, give)
    [award] = new_awards(bot.emulator)
    bot.click("approve_award", award["id"], "UMARIA")
    wait_until(lambda: bot.emulator.state.assignments[award["id"]]["status"] != "pending")
    bot.wait_idle()
    assert redraws_of(teams, home) == []


# --- 2. a tag mention gives to the Quantive team of its name ---------------------------

#: A tag's id as Teams sends it (base64, with characters no person's id has).
TAG_ID = "MjY1NjA1YWEtODRiZi00NWFkLWE1YjktYjJlYjFjZGQ1MjUzIyMxOTo/dGFn=="


def tag_message(teams: FakeTeams, text: str, tag: str, *, user: str = "29:maria") -> dict:
    """A message whose ``{tag}`` is a mention of a Teams tag, shaped as Teams sends one."""
    at = f"<at>{tag}</at>"
    message = teams.message(text.replace("{tag}", at), user=user, conversation="a:maria")
    message["entities"] = [
        {"type": "mention", "text": at, "mentioned": {"id": TAG_ID, "name": tag, "type": "tag"}}
    ]
    return message


def test_a_tag_mention_gives_to_the_quantive_team_of_its_name(bot, teams) -> None:
    send(bot, teams, tag_message(teams, "give {tag} Visionary for the release", "Platform"))
    [award] = new_awards(bot.emulator)
    assert award["assigneeIds"] == ["64b000000000000000000001"]  # Platform, a team
    assert award["comment"] == "for the release"
    receipt = " ".join(
        texts(card_of(a)) if a.get("attachments") else a["text"] for a in teams.sent()
    )
    assert "Platform" in receipt and "Done!" in receipt


def test_a_tag_quantive_has_no_team_for_is_told_and_nothing_given(bot, teams) -> None:
    send(bot, teams, tag_message(teams, "give {tag} Visionary thanks", "Night Shift"))
    assert new_awards(bot.emulator) == []
    [told] = [a["text"] for a in teams.sent() if a["conversation"] == "a:maria"]
    assert "can't expand the tag @Night Shift" in told and "Microsoft Graph" in told
    assert "Nothing was awarded" in told
