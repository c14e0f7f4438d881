"""Quantive's less-travelled answers over the real pipeline (#21, items 10 to 12): a badge
deleted in Quantive, a slow Quantive behind the give modal, and a 5xx on assign.

Each test sends signed Slack requests to the running app, which talks to the fake Slack
and to the Quantive emulator over HTTP, with faults injected per route.
"""

from __future__ import annotations

from typing import Any

from tests.harness import BotHarness

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
