"""End to end: signed requests to the running app, fake Slack, emulator over HTTP."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.harness import BotHarness, give_modal_values, signed_headers

TEAM_PLAYER = "64c000000000000000000001"
VISIONARY = "64c000000000000000000002"
LIAM_Q = "64a000000000000000000004"
SOFIA_Q = "64a000000000000000000005"
AMARA_Q = "64a000000000000000000003"
PLATFORM_TEAM = "64b000000000000000000001"


def new_pending(bot: BotHarness) -> list[dict]:
    seeded = {"64d000000000000000000001", "64d000000000000000000002", "64d000000000000000000003"}
    return [a for a in bot.emulator.state.pending() if a["id"] not in seeded]


def ephemeral_texts(bot: BotHarness) -> list[str]:
    return [c.get("text", "") for c in bot.slack.calls_of("response_url")]


@pytest.mark.both_backends
def test_give_to_one_user_is_sent_for_approval(bot: BotHarness) -> None:
    started = time.monotonic()
    response = bot.command("give <@ULIAM|liam> Team Player great pairing on billing")
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0  # acked long before Slack's 3 s

    bot.slack.wait_calls("chat.postMessage", count=2)  # a DM to each of the two approvers
    [award] = new_pending(bot)
    assert award["badgeId"] == TEAM_PLAYER
    assert award["assigneeIds"] == [LIAM_Q]
    assert award["assignedById"] == AMARA_Q
    assert award["comment"] == "great pairing on billing"

    [reply] = bot.slack.wait_calls("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "Sent for approval" in reply["text"]

    requests = bot.slack.calls_of("chat.postMessage")
    assert {r["channel"] for r in requests} == {"DUMARIA", "DUOLIVER"}
    actions = requests[0]["blocks"][-1]
    assert [e["action_id"] for e in actions["elements"]] == ["approve_award", "reject_award"]
    assert {e["value"] for e in actions["elements"]} == {award["id"]}
    assert "<@UAMARA>" in requests[0]["blocks"][0]["text"]["text"]


def test_give_to_two_users_with_shorthand(bot: BotHarness) -> None:
    bot.command("<@ULIAM|liam> <@USOFIA|sofia> visionary for the roadmap")
    bot.slack.wait_calls("chat.postMessage", count=2)
    [award] = new_pending(bot)
    assert award["badgeId"] == VISIONARY
    assert sorted(award["assigneeIds"]) == sorted([LIAM_Q, SOFIA_Q])
    assert award["comment"] == "for the roadmap"


def test_manager_award_is_approved_at_once_and_celebrated(bot: BotHarness) -> None:
    bot.command('give <@ULIAM|liam> "Team Player" thanks', user="UMARIA", channel="CTEAM")
    dms = bot.slack.wait_calls("chat.postMessage", count=2)
    assert new_pending(bot) == []
    channels = {d["channel"] for d in dms}
    assert channels == {"DULIAM", "CTEAM"}  # recipient's DM and the origin channel
    [reply] = bot.slack.wait_calls("response_url")
    assert "Done" in reply["text"]


def test_group_mention_awards_matching_team(bot: BotHarness) -> None:
    bot.command("give <!subteam^S123|@platform> Rockstar shipped it", user="UMARIA")
    bot.slack.wait_calls("response_url")
    holders = bot.emulator.state.holders("64c000000000000000000008")
    assert PLATFORM_TEAM in {t["id"] for t in holders["Teams"]}


def test_group_mention_without_team_awards_each_member(bot: BotHarness) -> None:
    bot.slack.usergroups["S999"] = ["ULIAM", "USOFIA", "UAMARA", "UROBOT"]
    bot.command("give <!subteam^S999|@oncall> Go-Getter nights and weekends")
    bot.slack.wait_calls("response_url")
    [award] = new_pending(bot)
    assert sorted(award["assigneeIds"]) == sorted([LIAM_Q, SOFIA_Q])  # not the giver, no bot


def test_self_award_is_refused(bot: BotHarness) -> None:
    bot.command("give <@UAMARA|amara> Rockstar me me me")
    [reply] = bot.slack.wait_calls("response_url")
    assert "yourself" in reply["text"]
    assert new_pending(bot) == []
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_bot_and_channel_recipients_are_refused(bot: BotHarness) -> None:
    bot.command("give <@UROBOT|deploybot> Rockstar", response_key="a")
    bot.command("give <#CGENERAL|general> Rockstar", response_key="b")
    bot.command("give <!channel> Rockstar", response_key="c")
    replies = bot.slack.wait_calls("response_url", count=3)
    texts = " ".join(r["text"] for r in replies)
    assert "is a bot" in texts and texts.count("not to channels") == 2
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_unknown_user_blocks_the_whole_award(bot: BotHarness) -> None:
    bot.command("give <@ULIAM|liam> <@UGHOST|ghost> <@UNOMAIL|nomail> Rockstar")
    [reply] = bot.slack.wait_calls("response_url")
    assert "Nothing was awarded" in reply["text"]
    assert "ghost@elsewhere.example" in reply["text"]
    assert "users:read.email" in reply["text"]
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_unknown_badge_answers_with_near_matches(bot: BotHarness) -> None:
    bot.command("give <@ULIAM|liam> Visionry for the plan")
    [reply] = bot.slack.wait_calls("response_url")
    assert "Visionary" in reply["text"]
    assert reply["response_type"] == "ephemeral"
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_an_unresolved_mention_is_named_not_taken_for_a_badge(bot: BotHarness) -> None:
    bot.command("give @nobody Visionary thanks")
    [reply] = bot.slack.wait_calls("response_url")
    assert reply["text"].startswith("`@nobody` is not a person or user group I can find.")
    assert "I don't know a badge" not in reply["text"]
    assert reply["response_type"] == "ephemeral"
    bot.command("give <@ULIAM|liam> @nobody @<b>x Visionary", response_key="two")
    [two] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "two")
    assert two["text"].startswith("`@nobody`, `@&lt;b&gt;x` are not people I can find.")
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_missing_recipient_opens_prefilled_modal(bot: BotHarness) -> None:
    bot.command("Visionary for the plan")
    [opened] = bot.slack.wait_calls("views.open")
    view = opened["view"]
    assert opened["trigger_id"].endswith(".trigger")
    badge = next(b for b in view["blocks"] if b.get("block_id") == "badge")
    assert badge["element"]["initial_option"]["value"] == VISIONARY
    comment = next(b for b in view["blocks"] if b.get("block_id") == "comment")
    assert comment["element"]["initial_value"] == "for the plan"


def test_plain_badge_opens_modal_and_submission_gives(bot: BotHarness) -> None:
    bot.command("")
    [opened] = bot.slack.wait_calls("views.open")
    response = bot.submit(
        opened["view"], give_modal_values(["ULIAM"], VISIONARY, "nice"), user="UAMARA"
    )
    assert response.status_code == 200 and response.content in (b"", b"{}")
    bot.slack.wait_calls("chat.postEphemeral")
    [award] = new_pending(bot)
    assert award["badgeId"] == VISIONARY and award["comment"] == "nice"


def test_modal_errors_appear_on_fields(bot: BotHarness) -> None:
    bot.command("")
    [opened] = bot.slack.wait_calls("views.open")
    response = bot.submit(opened["view"], give_modal_values(["UAMARA"], None), user="UAMARA")
    body = response.json()
    assert body["response_action"] == "errors"
    assert "yourself" in body["errors"]["recipients"] and "badge" in body["errors"]


def test_badge_options_are_served_from_catalogue(bot: BotHarness) -> None:
    response = bot.interactive(
        {
            "type": "block_suggestion",
            "action_id": "badge_choice",
            "block_id": "badge",
            "value": "team",
            "team": {"id": "T1"},
            "user": {"id": "UAMARA"},
            "api_app_id": "A1",
            "token": "unused",
            "view": {"id": "V1", "callback_id": "give_badge"},
        }
    )
    names = [o["text"]["text"] for o in response.json()["options"]]
    assert names == ["Team Player"]


def test_channel_injection_in_comment_pings_nobody(bot: BotHarness) -> None:
    bot.command("give <@ULIAM|liam> Rockstar <!channel> look & <https://evil|click> <@USOFIA>")
    requests = bot.slack.wait_calls("chat.postMessage", count=2)
    [award] = new_pending(bot)
    assert award["comment"] == "@channel look & click (https://evil) @sofia"
    text = requests[0]["blocks"][0]["text"]["text"]
    assert "<!channel>" not in text and "@channel look &amp; click (https://evil)" in text
    assert "<https://evil" not in text


def test_forged_or_stale_signature_gets_401_and_no_quantive_call(bot: BotHarness) -> None:
    body = "command=%2Fbadge&text=give+%3C%40ULIAM%3E+Rockstar&user_id=UAMARA"
    forged = signed_headers(body, secret="wrong-secret")
    assert bot.post(body, forged).status_code == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 600)
    assert bot.post(body, stale).status_code == 401
    assert {c.route for c in bot.emulator.calls.all()} <= {"GET /badges"}  # start-up warm-up
    assert bot.slack.calls_of("response_url") == []


def test_healthz(bot: BotHarness) -> None:
    assert bot.http.get(bot.server.url + "/healthz").status_code == 200


def test_slack_failure_while_resolving_tells_the_giver(bot: BotHarness) -> None:
    bot.slack.fail_next("users.info", 20, status=500)
    bot.command("give <@ULIAM|liam> Rockstar", user="UAMARA")
    [reply] = bot.slack.wait_calls("response_url", timeout=20)
    assert "Nothing was awarded" in reply["text"] and "Slack" in reply["text"]
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_a_nul_byte_in_a_comment_is_cleaned_and_the_award_recorded(bot: BotHarness) -> None:
    """PostgreSQL refuses NUL in text: control characters are stripped at the edge, so the
    award is made, recorded (for the limits, the export and the boards) and answered."""
    bot.command("give <@ULIAM|liam> Team Player null\x00byte\x07 and\ttab")
    [reply] = bot.slack.wait_calls("response_url")
    assert "Sent for approval" in reply["text"]
    [award] = new_pending(bot)
    assert award["comment"].startswith("nullbyte and") and "\x00" not in award["comment"]

    async def recorded() -> list[str]:
        from bot.awards import awards_given
        from bot.store import Store

        store = Store(bot.settings.database)
        try:
            return [a.comment async for a in awards_given(store)]
        finally:
            await store.aclose()

    assert asyncio.run(recorded()) == [award["comment"]]
