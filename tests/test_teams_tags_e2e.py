"""A Teams tag mention that no Quantive team is named like gives to each of the tag's
members, read from Microsoft Graph (issue 24), end to end: signed activities to one app
for the module, the fake Graph and Bot Connector of tests.fake_teams, and the Quantive
emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.emulator import Emulator
from tests.fake_graph import GRAPH_IDS, TEAM_GROUP_ID
from tests.fake_slack import FakeSlack
from tests.fake_teams import PEOPLE, TENANT_ID, FakeTeams
from tests.harness import BotHarness, new_awards, teams_app
from tests.teams_client import card_of, send, texts

CHANNEL = "19:general@thread.tacv2"
#: A tag's id as Teams sends it: base64, with a ``/`` that must reach Graph as %2F.
TAG_ID = "MjY1NjA1YWEtODRiZi00NWFkLWE1YjktYjJlYjFjZGQ1MjUzIyMxOTo/dGFn=="
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
#: The emulator's user ids, by Teams id (the demo organisation's people).
QUANTIVE_IDS = {
    "29:maria": "64a000000000000000000001",
    "29:oliver": "64a000000000000000000002",
    "29:liam": "64a000000000000000000004",
    "29:sofia": "64a000000000000000000005",
    "29:noah": "64a000000000000000000006",
}


@pytest.fixture(scope="module")
def app(
    emulator_server: Emulator,
    slack_server: FakeSlack,
    teams_server: FakeTeams,
    migrated_sqlite: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotHarness]:
    """One app for the module (starting one per test is slow)."""
    folder = tmp_path_factory.mktemp("teams-tags")
    with teams_app(emulator_server, slack_server, teams_server, migrated_sqlite, folder) as app:
        yield app


@pytest.fixture
def bot(app: BotHarness, emulator: Emulator, slack: FakeSlack, teams: FakeTeams) -> BotHarness:
    """The module's app, with the fakes' records forgotten, and tokens that live shorter
    than the bot's renewal margin, so that each test sees the token requests it causes."""
    teams.auth.token_lifetime = 60
    return app


def tag_message(
    teams: FakeTeams,
    text: str,
    tag: str,
    *,
    conversation: str = CHANNEL,
    team: str | None = TEAM_GROUP_ID,
) -> dict[str, Any]:
    """Maria's message whose ``{tag}`` mentions a Teams tag, in a channel of the team
    whose Entra group is ``team`` (None: a chat outside any team)."""
    at = f"<at>{tag}</at>"
    message = teams.message(text.replace("{tag}", at), user="29:maria", conversation=conversation)
    message["entities"] = [
        {"type": "mention", "text": at, "mentioned": {"id": TAG_ID, "name": tag, "type": "tag"}}
    ]
    if team is not None:
        message["channelData"]["team"] = {"id": "19:team@thread.tacv2", "aadGroupId": team}
    return message


def tag_of(*people: str) -> list[tuple[str, str]]:
    """Tag members as Graph lists them: (Entra object id, display name)."""
    return [(GRAPH_IDS[p], PEOPLE[p][0]) for p in people]


def told_maria(teams: FakeTeams) -> str:
    """Everything the bot wrote to Maria, in her 1:1 chat and in the channel."""
    return " ".join(
        texts(card_of(a)) if a.get("attachments") else a.get("text", "")
        for a in teams.sent()
        if a["conversation"] in ("a:maria", CHANNEL)
    )


def test_a_tag_no_team_is_named_like_gives_to_each_member(bot, teams) -> None:
    teams.graph.tags[TAG_ID] = tag_of("29:oliver", "29:maria", "29:liam")
    send(bot, teams, tag_message(teams, "give {tag} Visionary for the night shift", "Night Shift"))
    [award] = new_awards(bot.emulator)
    # One award for the members, the giver left out, as Slack gives to a user group.
    assert sorted(award["assigneeIds"]) == [QUANTIVE_IDS["29:oliver"], QUANTIVE_IDS["29:liam"]]
    assert award["comment"] == "for the night shift"
    [call] = teams.graph.calls
    assert call["team"] == TEAM_GROUP_ID and call["tag"] == TAG_ID  # the / arrived intact
    assert call["authorization"].startswith("Bearer ")
    assert "Done!" in told_maria(teams)


def test_a_tag_whose_members_span_two_pages_gives_to_all_of_them(bot, teams) -> None:
    teams.graph.page_size = 2
    teams.graph.tags[TAG_ID] = tag_of("29:oliver", "29:liam", "29:sofia", "29:noah")
    send(bot, teams, tag_message(teams, "give {tag} Visionary thanks all", "Night Shift"))
    [award] = new_awards(bot.emulator)
    wanted = [QUANTIVE_IDS[p] for p in ("29:oliver", "29:liam", "29:sofia", "29:noah")]
    assert sorted(award["assigneeIds"]) == sorted(wanted)
    assert [c["query"] for c in teams.graph.calls] == ["", "$skiptoken=2"]


def test_graph_refusing_the_app_is_told_in_one_sentence_and_nothing_given(bot, teams) -> None:
    teams.graph.status = 403
    teams.graph.tags[TAG_ID] = tag_of("29:oliver")
    send(bot, teams, tag_message(teams, "give {tag} Visionary thanks", "Night Shift"))
    assert new_awards(bot.emulator) == []
    [told] = [a["text"] for a in teams.sent() if a["conversation"] == "a:maria"]
    assert "TeamworkTag.Read.All" in told and "mention the people" in told
    assert told.startswith("Nothing was awarded") and told.count(". ") == 0


def test_a_quantive_team_named_like_the_tag_still_wins(bot, teams) -> None:
    teams.graph.tags[TAG_ID] = tag_of("29:oliver", "29:liam")
    send(bot, teams, tag_message(teams, "give {tag} Visionary for the release", "Platform"))
    [award] = new_awards(bot.emulator)
    assert award["assigneeIds"] == ["64b000000000000000000001"]  # Platform, a team
    assert teams.graph.calls == []


def test_a_tag_outside_a_team_is_told_and_nothing_given(bot, teams) -> None:
    teams.graph.tags[TAG_ID] = tag_of("29:oliver")
    message = tag_message(teams, "give {tag} Visionary thanks", "Night Shift", team=None)
    send(bot, teams, message)
    assert new_awards(bot.emulator) == []
    assert teams.graph.calls == []
    assert "mention the people instead" in told_maria(teams)


def test_a_member_graph_names_without_an_object_id_stops_the_give(bot, teams) -> None:
    teams.graph.tags[TAG_ID] = [*tag_of("29:oliver"), ("29:liam/../x", "Liam Chen")]
    send(bot, teams, tag_message(teams, "give {tag} Visionary thanks", "Night Shift"))
    assert new_awards(bot.emulator) == []
    assert "couldn't read who is in @Night Shift" in told_maria(teams)
    assert teams.member_lookups == 0  # the bad id went into no connector URL


def test_the_graph_token_is_the_apps_for_graph_from_the_tenant(bot, teams) -> None:
    teams.graph.tags[TAG_ID] = tag_of("29:oliver")
    send(bot, teams, tag_message(teams, "give {tag} Visionary thanks", "Night Shift"))
    assert len(new_awards(bot.emulator)) == 1
    # Single-tenant mode: the home tenant, the one the activity came from too.
    grants = list(zip(teams.token_requests, teams.auth.token_tenants, strict=True))
    graph = [(form, tenant) for form, tenant in grants if form["scope"] == GRAPH_SCOPE]
    assert [tenant for _, tenant in graph] == [TENANT_ID]
    [(form, _)] = graph
    assert form["grant_type"] == "client_credentials" and form["client_id"]
