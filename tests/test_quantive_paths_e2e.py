"""Quantive's less-travelled answers over the real pipeline (#21, items 10 to 12): a badge
deleted in Quantive, a slow Quantive behind the give modal, and a 5xx on assign.

Each test sends signed Slack requests to the running app, which talks to the fake Slack
and to the Quantive emulator over HTTP, with faults injected per route.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from sqlalchemy import select

from api.emulator import Fault
from bot import catalogue
from bot.store import Store
from bot.store.tables import award_outbox
from tests.harness import FAST_OUTBOX, BotHarness, give_modal_values, new_awards
from tests.waiting import wait_until

VISIONARY = "64c000000000000000000002"
MENTOR = "64c000000000000000000005"


def reply(bot: BotHarness, key: str) -> dict[str, Any]:
    """The one response_url message answered for the request sent with ``key``."""
    [found] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == key)
    return found


# --- item 10: a badge deleted in Quantive -----------------------------------------------


def test_a_badge_deleted_in_quantive_drops_out_of_mine_top_and_home(bot: BotHarness) -> None:
    """The catalogue still lists Visionary (it was read at start-up, its TTL is a minute)
    when Quantive deletes it: its holders GET answers 404, and only that badge is lost."""
    bot.command("list", response_key="before")
    assert "Visionary" in str(reply(bot, "before"))  # the catalogue holds it now
    bot.emulator.state.delete_badge(VISIONARY)  # in Quantive's web app, not through the bot

    bot.command("mine", user="UMARIA", response_key="m")  # Maria holds Rockstar via Platform
    mine = str(reply(bot, "m"))
    assert "Rockstar" in mine and "Platform" in mine and "try again" not in mine.lower()

    bot.command("top", user="UAMARA", response_key="t")
    top = str(reply(bot, "t"))
    assert "<@UAMARA> — 1" in top and "Platform" in top and "try again" not in top.lower()

    bot.post_event({"type": "app_home_opened", "user": "UAMARA", "channel": "D1", "tab": "home"})
    [home] = bot.slack.wait_calls("views.publish")
    assert "Mentor" in str(home["view"]["blocks"])

    # The gone badge leaves the catalogue too, without a reload of the whole list.
    bot.command("list", response_key="l")
    assert "Visionary" not in str(reply(bot, "l"))
    # One snapshot, shared by all three, the 404 included; the list was not read again.
    assert bot.emulator.calls.count("GET /badges/assign/{id}") == 10
    assert bot.emulator.calls.count("GET /badges") == 1


# --- item 11: the give modal opens within the trigger's life ----------------------------

#: Longer than a trigger_id lives (3 s): a modal that waits on this opens too late.
SLOW_LIST = 3.5
#: How soon after the ack the modal must be open: well within the trigger's 3 s.
OPENS_WITHIN = 2.0
#: Slack drops an answer to an options request that comes later than this.
SLACK_OPTIONS_DEADLINE = 3.0


def slow_badge_list(bot: BotHarness) -> None:
    """Make Quantive's badge list slow to answer."""
    bot.emulator.faults.set("GET /badges", Fault(latency=SLOW_LIST))


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The block of ``view`` with this id."""
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def badge_options(bot: BotHarness, typed: str) -> tuple[list[str], float]:
    """The badge picker's options for what was typed, and how long Slack waited for them."""
    started = time.monotonic()
    response = bot.interactive(
        {
            "type": "block_suggestion",
            "action_id": "badge_choice",
            "block_id": "badge",
            "value": typed,
            "team": {"id": "T1"},
            "user": {"id": "UAMARA"},
            "api_app_id": "A1",
            "token": "unused",
            "view": {"id": "V1", "callback_id": "give_badge"},
        }
    )
    names = [o["text"]["text"] for o in response.json()["options"]]
    return names, time.monotonic() - started


def test_give_to_someone_opens_the_modal_before_any_catalogue_reload(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/badge give @maria`` names no badge, which used to count as a catalogue miss and
    reload the list (older than MISS_RELOAD_SECONDS, made 0 here) before views.open."""
    bot.command("list", response_key="warm")
    reply(bot, "warm")  # the list is in memory
    monkeypatch.setattr(catalogue, "MISS_RELOAD_SECONDS", 0.0)
    slow_badge_list(bot)
    lists_before = bot.emulator.calls.count("GET /badges")

    bot.command("give <@UMARIA|maria>", user="UAMARA")
    [opened] = bot.slack.wait_calls("views.open", timeout=OPENS_WITHIN)
    assert block(opened["view"], "recipients")["element"]["initial_users"] == ["UMARIA"]
    assert bot.emulator.calls.count("GET /badges") == lists_before  # Quantive not asked
    # The picker's choices come from the list in memory, at once.
    names, took = badge_options(bot, "vision")
    assert names == ["Visionary"] and took < OPENS_WITHIN


def test_a_badge_named_with_a_cold_catalogue_opens_at_once_and_is_filled_in_after(
    bot: BotHarness,
) -> None:
    """After a badge edit the catalogue is dropped; ``/badge give Visionary ...`` (nobody
    named) used to load it before views.open. The modal now opens at once as a stand-in,
    and views.update fills in the badge and the comment when Quantive answers."""
    bot.command("list", response_key="warm")
    reply(bot, "warm")  # the start-up load is over: it cannot fill the cache meanwhile
    slow_badge_list(bot)
    bot.app.state.services.catalogue.invalidate()  # as after a create, edit or delete

    bot.command("give Visionary for the plan", user="UAMARA")
    [opened] = bot.slack.wait_calls("views.open", timeout=OPENS_WITHIN)
    stand_in = opened["view"]
    assert stand_in["callback_id"] == "give_badge" and "submit" not in stand_in
    assert "Looking up “Visionary for the plan”" in str(stand_in["blocks"])
    # Options asked for meanwhile are answered (empty) in time, not after Quantive.
    names, took = badge_options(bot, "vision")
    assert took < SLACK_OPTIONS_DEADLINE - 0.5 and names == []

    [updated] = bot.slack.wait_calls("views.update", timeout=SLOW_LIST + 5)
    form = updated["view"]
    assert updated["view_id"] == "V1"
    assert block(form, "badge")["element"]["initial_option"]["value"] == VISIONARY
    assert block(form, "comment")["element"]["initial_value"] == "for the plan"
    assert "Who should get it?" in str(form["blocks"])

    bot.submit(form, give_modal_values(["ULIAM"], VISIONARY, "for the plan"), user="UAMARA")
    bot.wait_idle()
    [award] = new_awards(bot.emulator)
    assert award["badgeId"] == VISIONARY and award["comment"] == "for the plan"


# --- item 12: a 5xx on assign is an answer -----------------------------------------------


@pytest.mark.both_backends
def test_an_award_answered_with_5xx_is_looked_for_and_resent_at_once(
    emulator, slack, database_url
) -> None:
    """Three 503s on assign, with the real settle time of 30 s: each answer means Quantive
    is done with that call, so its absence is read at once and the award goes out again
    on the next retry, instead of 30 s later each time (90 s in all)."""
    settings = {**FAST_OUTBOX, "quantive_settle_seconds": 30.0}
    bot = BotHarness(emulator, slack, database_url, **settings).start()
    try:
        emulator.faults.set("POST /badges/assign", Fault(status=503, times=3))
        bot.command("give <@ULIAM|liam> Visionary through the outage", response_key="g")
        assert "queued" in reply(bot, "g")["text"]
        # Delivered, and the giver told, in retries of tenths of a second.
        slack.wait_calls(
            "chat.postEphemeral", where=lambda c: "waiting for approval" in c["text"], timeout=5
        )
        [award] = new_awards(emulator)
        assert award["comment"] == "through the outage" and award["status"] == "pending"
        assert emulator.calls.count("POST /badges/assign") == 4  # three 503s, then made once
        # Each resend came after Quantive's approval queue was read for the award.
        routes = [c.route for c in emulator.calls.all()]
        assigns = [i for i, r in enumerate(routes) if r == "POST /badges/assign"]
        for before, after in itertools.pairwise(assigns):
            assert "GET /badges/approve" in routes[before:after]
    finally:
        bot.stop()


def test_a_gateway_504_on_assign_still_waits_the_settle_time(emulator, slack, database_url) -> None:
    """A 504 is a gateway giving up, not Quantive answering: Quantive may still be making
    the award, so finding nothing at once must not send it again before the settle time."""
    settings = {**FAST_OUTBOX, "quantive_settle_seconds": 30.0}
    bot = BotHarness(emulator, slack, database_url, **settings).start()
    try:
        emulator.faults.set("POST /badges/assign", Fault(status=504, times=1))
        bot.command("give <@ULIAM|liam> Visionary behind a gateway", response_key="g")
        assert "didn't confirm" in reply(bot, "g")["text"]

        def outbox() -> list[Any]:
            async def rows(store: Store) -> list[Any]:
                c = award_outbox.c
                query = select(c.last_error, c.sent_at, c.next_attempt_at)
                async with store.connect() as conn:
                    return list((await conn.execute(query)).all())

            return bot.query(rows)

        # The worker looked, found nothing, and put the award off until Quantive settles.
        wait_until(lambda: [r.last_error for r in outbox()] == ["not found yet"], every=0.1)
        [row] = outbox()
        assert row.next_attempt_at >= row.sent_at + 29
        assert emulator.calls.count("POST /badges/assign") == 1
        assert new_awards(emulator) == []
    finally:
        bot.stop()
