"""Teams on a par with Slack (issue 24), end to end: signed activities to one app for the
module, the fake Bot Connector recording what the bot sends, and the Quantive emulator.
Home cards redrawn by decisions made elsewhere, tag mentions, ``export`` and the badge
editor card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.emulator import Emulator
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeTeams
from tests.harness import BotHarness, new_awards, teams_app
from tests.teams_client import action, card_of, install, nodes, send, texts
from tests.waiting import wait_until

VISIONARY = "64c000000000000000000002"
PUBLIC_URL = "https://badgebot.example.com"
FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


@pytest.fixture(scope="module")
def app(
    emulator_server: Emulator,
    slack_server: FakeSlack,
    teams_server: FakeTeams,
    migrated_sqlite: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotHarness]:
    """One app serving Slack and Teams for the module (starting one per test is slow),
    with the dashboard on (PUBLIC_URL): ``export`` links to its download for a named
    period, and sends ``export all``, which the dashboard has not, as a file."""
    folder = tmp_path_factory.mktemp("teams-parity")
    with teams_app(
        emulator_server, slack_server, teams_server, migrated_sqlite, folder, public_url=PUBLIC_URL
    ) as app:
        yield app


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
    send(bot, teams, teams.message("home", user="29:sofia", conversation="a:sofia"))
    maria, amara = home_of(teams, "a:maria"), home_of(teams, "a:amara")
    sofia = home_of(teams, "a:sofia")
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
    assert redraws_of(teams, sofia) == []


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


def test_a_tag_no_team_is_named_like_outside_a_team_is_told_and_nothing_given(bot, teams) -> None:
    # Typed in the 1:1 chat, the tag names no team whose members Graph could list (the
    # members of a team's tag: tests/test_teams_tags_e2e.py).
    send(bot, teams, tag_message(teams, "give {tag} Visionary thanks", "Night Shift"))
    assert new_awards(bot.emulator) == []
    [told] = [a["text"] for a in teams.sent() if a["conversation"] == "a:maria"]
    assert "@Night Shift" in told and "mention the people instead" in told
    assert told.startswith("Nothing was awarded")


# --- 3. export: a file through the consent card, or the dashboard's download ------------


def attachments_to(teams: FakeTeams, conversation: str, kind: str) -> list[dict]:
    """The attachments of one content type the bot sent to a conversation, with the id of
    the activity that carried each."""
    return [
        {**attachment, "activity": a}
        for a in teams.sent()
        if a["conversation"] == conversation
        for attachment in a.get("attachments") or []
        if attachment["contentType"] == kind
    ]


def consent_answer(teams: FakeTeams, consent: dict, action: str, *, user: str) -> dict:
    """The ``fileConsent/invoke`` Teams sends when the person answers the consent card:
    on accept, with an upload session in their OneDrive (the fake's /upload)."""
    content = consent["content"]
    value = {
        "type": "fileUpload",
        "action": action,
        "context": content["acceptContext" if action == "accept" else "declineContext"],
    }
    if action == "accept":
        value["uploadInfo"] = {
            "contentUrl": "https://acme-my.sharepoint.example/personal/maria/export.csv",
            "name": consent["name"],
            "uploadUrl": f"{teams.url}/upload/{consent['name']}",
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
            "fileType": "csv",
        }
    activity = consent["activity"]
    return teams.invoke(
        "fileConsent/invoke",
        value,
        user=user,
        conversation=activity["conversation"],
        replyToId=activity["id"],
    )


def test_export_all_asks_consent_then_uploads_the_safe_csv(bot, teams) -> None:
    hostile = '=HYPERLINK("https://evil.example","win") for the quarter'
    give = teams.message(
        f"give {{29:liam}} Visionary {hostile}",
        user="29:maria",
        conversation="a:maria",
        mentions=["29:liam"],
    )
    send(bot, teams, give)
    send(bot, teams, teams.message("export all", user="29:maria", conversation="a:maria"))
    [consent] = attachments_to(teams, "a:maria", FILE_CONSENT)
    assert consent["name"].startswith("badgebot-awards-all-") and consent["name"].endswith(".csv")
    assert "given through badgebot ever" in consent["content"]["description"]

    answer = send(bot, teams, consent_answer(teams, consent, "accept", user="29:maria"))
    assert answer.status_code == 200
    headers, body = teams.uploads[consent["name"]]
    assert headers["content-range"] == f"bytes 0-{len(body) - 1}/{len(body)}"
    assert "authorization" not in headers  # the upload URL is the permission, not a token
    csv_text = body.decode("utf-8-sig")
    assert csv_text.startswith("assignment_id,badge,giver_email")
    assert "'=HYPERLINK" in csv_text  # a spreadsheet reads it as text, never a formula
    [info] = attachments_to(teams, "a:maria", FILE_INFO)
    assert info["name"] == consent["name"] and info["content"]["fileType"] == "csv"
    assert info["contentUrl"].startswith("https://acme-my.sharepoint.example/")
    [settled] = [u for u in teams.updates() if u["activity"] == consent["activity"]["id"]]
    assert "Here is your export" in settled["body"]["text"]


def test_export_declined_sends_nothing_and_a_non_admin_gets_no_file(bot, teams) -> None:
    send(bot, teams, teams.message("export all", user="29:maria", conversation="a:maria"))
    [consent] = attachments_to(teams, "a:maria", FILE_CONSENT)
    send(bot, teams, consent_answer(teams, consent, "decline", user="29:maria"))
    assert teams.uploads == {} and attachments_to(teams, "a:maria", FILE_INFO) == []
    assert "didn't send" in teams.updates()[-1]["body"]["text"]

    send(bot, teams, teams.message("export all", user="29:amara", conversation="a:amara"))
    assert attachments_to(teams, "a:amara", FILE_CONSENT) == []
    assert any("Only badge admins" in a.get("text", "") for a in teams.sent())
    # Nor does accepting a card someone else was sent upload anything for a non-admin.
    send(bot, teams, consent_answer(teams, consent, "accept", user="29:amara"))
    assert teams.uploads == {}


def test_export_in_a_channel_goes_to_the_admins_own_chat(bot, teams) -> None:
    channel = "19:hr@thread.tacv2"
    send(bot, teams, teams.message("export all", user="29:maria", conversation=channel))
    assert attachments_to(teams, channel, FILE_CONSENT) == []
    assert len(attachments_to(teams, "a:maria", FILE_CONSENT)) == 1
    said = [a.get("text", "") for a in teams.sent() if a["conversation"] == channel]
    assert said == ["I've sent you the export in our 1:1 chat."]
    assert [a for a in teams.sent() if a["conversation"] == "a:maria" and a.get("text")] == []


def test_export_links_to_the_dashboards_download_when_it_is_on(bot, teams) -> None:
    send(bot, teams, teams.message("export", user="29:maria", conversation="a:maria"))
    assert attachments_to(teams, "a:maria", FILE_CONSENT) == []
    [link] = [
        a
        for node in [card_of(x) for x in teams.sent() if x.get("attachments")]
        for a in node.get("actions", [])
        if a["type"] == "Action.OpenUrl"
    ]
    assert link["url"] == f"{PUBLIC_URL}/dashboard/export.csv?period=month"
    # The download itself stays behind the dashboard's sign-in.
    answer = bot.http.get(f"{bot.server.url}/dashboard/export.csv?period=month")
    assert answer.status_code in (302, 303, 307, 200) and "text/csv" not in answer.headers.get(
        "content-type", ""
    )


# --- 4. the badge editor card -------------------------------------------------------


def editor_form(teams: FakeTeams, conversation: str = "a:maria") -> dict:
    """The last badge editor form the bot sent to a conversation."""
    forms = [
        a
        for a in teams.sent()
        if a["conversation"] == conversation
        and a.get("attachments")
        and any(n.get("id") == "name" for n in nodes(card_of(a)))
    ]
    assert forms, teams.sent()
    return forms[-1]


def inputs_of(content: dict) -> dict[str, dict]:
    """The card's inputs by id."""
    return {n["id"]: n for n in nodes(content) if str(n.get("type", "")).startswith("Input.")}


def save(bot, teams, form: dict, user: str = "29:maria", **typed: str) -> dict:
    """Click the form's Save (or Create) with ``typed`` in its inputs; the answer's body."""
    click = teams.click(form, action(card_of(form), "save_badge"), user=user, inputs=typed)
    return send(bot, teams, click).json()


def test_an_admin_creates_a_badge_from_the_card_form(bot, teams) -> None:
    send(bot, teams, teams.message("create", user="29:maria", conversation="a:maria"))
    form = editor_form(teams)
    fields = inputs_of(card_of(form))
    assert set(fields) == {"name", "summary", "icon", "background", "pattern"}
    assert {"rocket", "heart"} <= {c["value"] for c in fields["icon"]["choices"]}
    assert {"title": "Green", "value": "#27AE60"} in fields["background"]["choices"]
    answer = save(
        bot,
        teams,
        form,
        name="Parity Pioneer",
        summary="Brought Teams level with Slack",
        icon="rocket",
        background="#27AE60",
        pattern="dots",
    )
    assert "Badge Parity Pioneer created" in texts(answer["value"])
    [made] = [b for b in bot.emulator.state.badges.values() if b["name"] == "Parity Pioneer"]
    assert (made["summary"], made["icon"], made["background"], made["pattern"]) == (
        "Brought Teams level with Slack",
        "rocket",
        "#27AE60",
        "dots",
    )
    # The catalogue is read afresh: the new badge can be given at once.
    send(bot, teams, teams.message("list", user="29:maria", conversation="a:maria"))
    assert "Parity Pioneer" in texts(card_of(teams.sent()[-1]))


def test_the_form_is_checked_as_slacks_modal_is_and_keeps_what_was_typed(bot, teams) -> None:
    send(bot, teams, teams.message("create", user="29:maria", conversation="a:maria"))
    form = editor_form(teams)
    for typed, said in [
        ({"name": "  "}, "Give the badge a name."),
        ({"name": "visionary", "summary": "again"}, "A badge called “Visionary” already exists."),
        ({"name": "x" * 61}, "Keep the name to 60 characters."),
    ]:
        answer = save(bot, teams, form, **typed)
        assert said in texts(answer["value"]), answer
        again = inputs_of(answer["value"])
        assert again["summary"]["value"] == typed.get("summary", "")
    assert bot.emulator.calls.count("POST /badges") == 0


def test_an_admin_edits_a_badge_and_a_non_admin_cannot(bot, teams) -> None:
    send(bot, teams, teams.message("edit Visionary", user="29:maria", conversation="a:maria"))
    form = editor_form(teams)
    fields = inputs_of(card_of(form))
    assert fields["name"]["value"] == "Visionary"
    assert action(card_of(form), "save_badge")["data"]["badge_id"] == VISIONARY
    typed = {k: str(v.get("value", "")) for k, v in fields.items()}
    # A non-admin clicking the forwarded form changes nothing.
    refused = save(bot, teams, form, user="29:amara", **{**typed, "summary": "mine now"})
    assert "Only badge admins" in refused["value"]
    answer = save(bot, teams, form, **{**typed, "summary": "Sees where we are going"})
    assert "Badge Visionary updated" in texts(answer["value"])
    assert bot.emulator.state.badges[VISIONARY]["summary"] == "Sees where we are going"
    send(bot, teams, teams.message("create", user="29:amara", conversation="a:amara"))
    assert any("Only badge admins" in a.get("text", "") for a in teams.sent())
