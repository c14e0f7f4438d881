"""End to end: browsing and administering badges, the Home tab and the message shortcut."""

from __future__ import annotations

import json

from tests.harness import BotHarness, give_modal_values, new_trigger_id

VISIONARY = "64c000000000000000000002"
MENTOR = "64c000000000000000000005"
ROCKSTAR = "64c000000000000000000008"


def reply(bot: BotHarness, key: str) -> dict:
    [answer] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == key)
    return answer


def test_help_and_unknown_subcommand(bot: BotHarness) -> None:
    bot.command("help", response_key="h")
    text = reply(bot, "h")["text"]
    for verb in ("give", "list", "who", "mine", "pending", "top", "create", "revoke", "digest"):
        assert f"/badge {verb}" in text
    bot.command("lst", response_key="u")
    text = reply(bot, "u")["text"]
    assert "Did you mean `list`?" in text and "/badge who" in text


def test_list_shows_catalogue_with_emoji(bot: BotHarness) -> None:
    bot.command("list", response_key="l")
    answer = reply(bot, "l")
    text = str(answer["blocks"])
    assert "10 badges" in text and ":telescope: *Visionary*" in text
    assert answer["response_type"] == "ephemeral"


def test_who_lists_people_as_mentions_and_teams_by_name(bot: BotHarness) -> None:
    bot.command("who Rockstar", response_key="r")
    assert "*Platform*" in reply(bot, "r")["text"]
    bot.command("who mentor", response_key="m")
    assert "<@UAMARA>" in reply(bot, "m")["text"]
    bot.command("who Unicorn", response_key="x")
    assert "don't know a badge" in reply(bot, "x")["text"]


def test_mine_and_someone_elses_badges(bot: BotHarness) -> None:
    bot.command("mine", user="ULIAM", response_key="mine")
    text = str(reply(bot, "mine")["blocks"])
    assert "Rockstar" in text and "through Platform" in text  # Liam is in team Platform
    bot.command("<@UAMARA|amara>", user="ULIAM", response_key="other")
    answer = reply(bot, "other")
    assert "<@UAMARA> holds" in str(answer["blocks"]) and "Mentor" in str(answer["blocks"])
    assert bot.emulator.calls.count("POST /badges/assign") == 0  # not mistaken for a give


def test_pending_for_approver_and_for_giver(bot: BotHarness) -> None:
    bot.command("pending", user="UMARIA", response_key="a")
    blocks = reply(bot, "a")["blocks"]
    assert blocks[0]["text"]["text"] == "3 badge awards are waiting for approval"
    assert sum(1 for b in blocks if b["type"] == "actions") == 3
    bot.command("pending", user="UAMARA", response_key="g")
    blocks = reply(bot, "g")["blocks"]
    assert "1 of your badge award" in blocks[0]["text"]["text"]
    assert all(b["type"] != "actions" for b in blocks)


def test_top_leaderboard(bot: BotHarness) -> None:
    bot.command("top", response_key="t")
    text = str(reply(bot, "t")["blocks"])
    assert "Most recognised people" in text and "<@UAMARA>" in text and "*Platform*" in text


def test_non_admins_are_refused_and_nothing_is_called(bot: BotHarness) -> None:
    for i, text in enumerate(
        ["create", "edit Visionary", "delete Visionary", "revoke <@UAMARA|amara> Mentor"]
    ):
        bot.command(text, user="USOFIA", response_key=f"n{i}")
        assert "Only badge admins" in reply(bot, f"n{i}")["text"]
    assert bot.slack.calls_of("views.open") == []
    routes = {c.route for c in bot.emulator.calls.all()}
    assert not routes & {"POST /badges", "PATCH /badges/{id}", "DELETE /badges/{id}"}


def test_create_modal_duplicate_name_then_success(bot: BotHarness) -> None:
    bot.command("create", user="UMARIA")
    [opened] = bot.slack.wait_calls("views.open")
    modal = opened["view"]
    assert modal["callback_id"] == "badge_editor"

    def values(name: str) -> dict:
        return {
            "name": {"name": {"type": "plain_text_input", "value": name}},
            "summary": {"summary": {"type": "plain_text_input", "value": "Late fixes"}},
            "icon": {"icon": {"type": "static_select", "selected_option": {"value": "fire"}}},
            "background": {"background": {"type": "static_select", "selected_option": None}},
            "pattern": {"pattern": {"type": "static_select", "selected_option": None}},
        }

    duplicate = bot.submit(modal, values("visionary"), user="UMARIA").json()
    assert (
        duplicate["response_action"] == "errors" and "already exists" in duplicate["errors"]["name"]
    )
    assert bot.emulator.calls.count("POST /badges") == 0
    ok = bot.submit(modal, values("Night Owl"), user="UMARIA")
    assert ok.status_code == 200 and ok.content in (b"", b"{}")
    created = [b for b in bot.emulator.state.badges.values() if b["name"] == "Night Owl"]
    assert created and created[0]["icon"] == "fire"


def test_quantive_rejection_lands_on_the_field(bot: BotHarness) -> None:
    from api.emulator import Fault

    bot.command("create", user="UMARIA")
    [opened] = bot.slack.wait_calls("views.open")
    bot.emulator.faults.set("POST /badges", Fault(status=400, times=1))
    answer = bot.submit(opened["view"], {"name": {"name": {"value": "Fresh"}}}, user="UMARIA")
    assert answer.json()["response_action"] == "errors"


def test_edit_prefills_and_patches(bot: BotHarness) -> None:
    bot.command("edit Visionary", user="UMARIA")
    [opened] = bot.slack.wait_calls("views.open")
    modal = opened["view"]
    name_block = next(b for b in modal["blocks"] if b["block_id"] == "name")
    assert name_block["element"]["initial_value"] == "Visionary"
    assert json.loads(modal["private_metadata"])["badge_id"] == VISIONARY
    bot.submit(
        modal,
        {"name": {"name": {"value": "Visionary"}}, "summary": {"summary": {"value": "Sees far"}}},
        user="UMARIA",
    )
    assert bot.emulator.state.badges[VISIONARY]["summary"] == "Sees far"


def test_delete_asks_then_deletes(bot: BotHarness) -> None:
    bot.command("delete Visionary", user="UMARIA", response_key="d")
    question = reply(bot, "d")
    button = question["blocks"][1]["elements"][0]
    assert button["action_id"] == "delete_badge" and "confirm" in button
    assert VISIONARY in bot.emulator.state.badges  # nothing yet
    bot.click("delete_badge", VISIONARY, "UMARIA", response_key="dd")
    assert "was deleted" in reply(bot, "dd")["text"]
    assert VISIONARY not in bot.emulator.state.badges


def test_revoke_confirms_and_does_not_ping(bot: BotHarness) -> None:
    bot.command("give <@ULIAM|liam> Rockstar for the launch", user="UMARIA", response_key="g")
    reply(bot, "g")
    bot.command("revoke <@ULIAM|liam> Rockstar", user="UMARIA", response_key="r")
    question = reply(bot, "r")
    assert "<@ULIAM>" not in str(question["blocks"]) and "liam" in str(question["blocks"])
    button = question["blocks"][1]["elements"][0]
    assert button["action_id"] == "revoke_award" and "confirm" in button
    bot.click("revoke_award", button["value"], "UMARIA", response_key="rr")
    assert "Revoked" in reply(bot, "rr")["text"]
    holders = bot.emulator.state.holders(ROCKSTAR)
    assert "64a000000000000000000004" not in {u["id"] for u in holders["Users"]}
    assert bot.emulator.calls.count("DELETE /badges/assign/{assigneeId}/{badgeAssignId}") == 1


def app_home(bot: BotHarness, user: str) -> None:
    bot.post_event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})


def test_home_tab_for_approver_and_non_approver(bot: BotHarness) -> None:
    app_home(bot, "UMARIA")
    [published] = bot.slack.wait_calls("views.publish")
    blocks = published["view"]["blocks"]
    assert published["user_id"] == "UMARIA" and len(blocks) <= 100
    assert any(
        b["type"] == "actions" and b["elements"][0]["action_id"] == "approve_award" for b in blocks
    )
    app_home(bot, "UAMARA")
    home = bot.slack.wait_calls("views.publish", count=2)[1]["view"]["blocks"]
    assert not any(
        b["type"] == "actions" and b["elements"][0]["action_id"] == "approve_award" for b in home
    )
    text = str(home)
    assert "Mentor" in text and "Give a badge" in text and "Team Player" in text

    # Approving from the Home tab refreshes it.
    bot.click("approve_award", "64d000000000000000000001", "UMARIA", response_key="h")
    bot.slack.wait_calls("views.publish", count=4)


def test_home_give_button_and_message_shortcut_open_the_modal(bot: BotHarness) -> None:
    bot.click("open_give_modal", "home", "UAMARA")
    [opened] = bot.slack.wait_calls("views.open")
    assert opened["view"]["callback_id"] == "give_badge"
    bot.interactive(
        {
            "type": "message_action",
            "callback_id": "give_badge_for_message",
            "team": {"id": "T1", "domain": "acme"},
            "user": {"id": "UAMARA"},
            "channel": {"id": "CGENERAL"},
            "trigger_id": new_trigger_id(),
            "token": "unused",
            "message": {"user": "ULIAM", "ts": "1700000000.123456", "text": "shipped!"},
            "response_url": bot.slack.response_url("s"),
            "api_app_id": "A1",
        }
    )
    shortcut = bot.slack.wait_calls("views.open", count=2)[1]["view"]
    users = next(b for b in shortcut["blocks"] if b.get("block_id") == "recipients")
    assert users["element"]["initial_users"] == ["ULIAM"]
    comment = next(b for b in shortcut["blocks"] if b.get("block_id") == "comment")
    assert (
        "acme.slack.com/archives/CGENERAL/p1700000000123456" in comment["element"]["initial_value"]
    )
    bot.submit(shortcut, give_modal_values(["ULIAM"], VISIONARY, "great"), user="UAMARA")
    bot.slack.wait_calls("chat.postEphemeral")
