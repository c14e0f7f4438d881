"""Teams' ``settings`` card end to end, over signed activities to one running app (started
once for the module): an admin changes who approves and the give limit, and the next
click already follows the change, without a restart; bad values and a non-admin's forged
submit store nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.emulator import Emulator
from handlers.teams.settings import NOT_ADMIN
from handlers.teams.settings_card import SETTINGS_VERB
from tests.fake_teams import FakeTeams
from tests.harness import BotHarness, new_awards, teams_app
from tests.teams_client import action, card_of, install, nodes, send, texts

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


@pytest.fixture(scope="module")
def bot(
    emulator_server: Emulator,
    slack_server,
    teams_server: FakeTeams,
    migrated_sqlite,
    tmp_path_factory,
) -> Iterator[BotHarness]:
    """Slack and Teams in single-tenant mode; Teams' approvers (and so its admins) are
    Maria, by email, and Oliver, by object id."""
    emulator_server.reset()
    teams_server.reset()
    folder = tmp_path_factory.mktemp("teams-settings")
    with teams_app(emulator_server, slack_server, teams_server, migrated_sqlite, folder) as app:
        yield app


def stored(bot: BotHarness) -> dict[str, Any]:
    return bot.query(lambda store: store.workspace_settings())


def the_form(bot: BotHarness, teams: FakeTeams, user: str = "29:maria") -> dict[str, Any]:
    """``settings`` from ``user`` in their 1:1 chat; the card the bot sent back."""
    conversation = f"a:{user.removeprefix('29:')}"
    send(bot, teams, teams.message("settings", user=user, conversation=conversation))
    [sent] = [a for a in teams.sent() if a["conversation"] == conversation][-1:]
    return sent


def submit(
    bot: BotHarness, teams: FakeTeams, form: dict[str, Any], user: str, **typed: str
) -> dict[str, Any]:
    """Save the form as Teams sends it: every input's value, with ``typed`` changed."""
    content = card_of(form)
    values = {
        n["id"]: n.get("value", "")
        for n in nodes(content)
        if str(n.get("type")).startswith("Input.")
    }
    click = teams.click(form, action(content, SETTINGS_VERB), user=user, inputs={**values, **typed})
    return send(bot, teams, click).json()


def approval_cards(teams: FakeTeams, comment: str) -> dict[str, dict[str, Any]]:
    """The approval requests of the award with ``comment``, by conversation."""
    return {
        a["conversation"]: a
        for a in teams.sent()
        if a.get("attachments")
        and comment in texts(card_of(a))
        and "wants to give" in texts(card_of(a))
    }


def test_a_non_admin_is_told_who_can_and_their_forged_submit_stores_nothing(bot, teams) -> None:
    before = stored(bot)
    asked = the_form(bot, teams, "29:amara")
    assert "attachments" not in asked
    assert (
        "Only badgebot's admins" in asked["text"] and "maria.garcia@acme.example" in asked["text"]
    )
    # A click built by hand: Amara names herself approver and lifts the limit.
    data = {"action": SETTINGS_VERB, "teams_approvers": "amara.okafor@acme.example"}
    forged = {"action": {"type": "Action.Execute", "verb": SETTINGS_VERB, "data": data}}
    invoke = teams.invoke("adaptiveCard/action", forged, user="29:amara", conversation="a:amara")
    answer = send(bot, teams, invoke).json()
    assert answer == {"statusCode": 200, "type": MESSAGE, "value": NOT_ADMIN}
    assert stored(bot) == before
    assert teams.updates() == []


def test_a_bad_time_and_limit_come_back_under_their_fields_and_store_nothing(bot, teams) -> None:
    before = stored(bot)
    form = the_form(bot, teams)
    answer = submit(bot, teams, form, "29:maria", digest_time="7pm", badge_give_limit="lots")
    assert answer["type"] == CARD
    body = answer["value"]["body"]
    ids = [element.get("id") for element in body]
    assert "must be HH:MM" in texts(body[ids.index("digest_time") + 1])
    assert "Give limit must look like 5/week" in texts(body[ids.index("badge_give_limit") + 1])
    shown = {n["id"]: n.get("value") for n in nodes(answer["value"]) if "id" in n}
    assert shown["badge_give_limit"] == "lots"  # what was typed, to fix in place
    assert stored(bot) == before


def test_new_approvers_and_a_limit_apply_at_once(bot, teams) -> None:
    for person in ("29:maria", "29:sofia", "29:oliver"):
        install(bot, teams, person)  # listed by email: the install tells who they are
    form = the_form(bot, teams)
    shown = {n["id"]: n for n in nodes(card_of(form)) if "id" in n}
    assert shown["teams_approvers"]["value"] == "maria.garcia@acme.example, aad-oliver"
    assert shown["teams_approvers"]["label"] == "Approvers (default)"

    new = "maria.garcia@acme.example, Sofia.Rossi@acme.example"
    answer = submit(bot, teams, form, "29:maria", teams_approvers=new, badge_give_limit="3/week")

    assert answer["type"] == CARD, answer
    summary = texts(answer["value"])
    assert "Settings saved" in summary and "Give limit: 3/week" in summary
    assert "Sofia.Rossi@acme.example" in summary
    assert stored(bot) == {
        "teams_approvers": ["maria.garcia@acme.example", "Sofia.Rossi@acme.example"],
        "badge_give_limit": "3/week",
    }
    [update] = teams.updates()  # the posted form itself is replaced by the summary
    assert update["activity"] == form["id"] and "Settings saved" in texts(card_of(update["body"]))

    # The next give is sent to the new approvers, not to Oliver.
    message = teams.message("give {29:liam} Visionary after the change", mentions=["29:liam"])
    send(bot, teams, message)
    [award] = [a for a in new_awards(bot.emulator) if a.get("comment") == "after the change"]
    assert award["status"] == "pending"
    requests = approval_cards(teams, "after the change")
    assert sorted(requests) == ["a:maria", "a:sofia"]

    # Oliver, an approver until a moment ago, clicks approve on a copy of the card.
    olivers = {**requests["a:maria"], "conversation": "a:oliver"}
    click = teams.click(olivers, action(card_of(olivers), "approve"), user="29:oliver")
    refused = send(bot, teams, click).json()
    assert refused["type"] == MESSAGE and "Only approvers" in refused["value"]
    assert bot.emulator.state.assignments[award["id"]]["status"] == "pending"

    # Sofia, an approver from now on, can.
    sofias = requests["a:sofia"]
    click = teams.click(sofias, action(card_of(sofias), "approve"), user="29:sofia")
    approved = send(bot, teams, click).json()
    assert approved["type"] == CARD and "Approved by Sofia Rossi" in texts(approved["value"])
    assert bot.emulator.state.assignments[award["id"]]["status"] == "approved"
