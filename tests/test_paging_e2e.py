"""Quantive as it really answers: lists a page at a time, v2 teams beside v1, and servers
that ignore filters. Against the emulator over HTTP, and through the running bot."""

from __future__ import annotations

import asyncio
import logging

import httpx

from api import QuantiveClient, RetryPolicy, build_http_client
from api.emulator import DEFAULT_TOKEN
from api.paths import resolve_teams_url
from tests.conftest import ACCOUNT_ID, quantive_client
from tests.harness import BotHarness
from tests.test_digest import seed_pending, settings_for, slack_runtime


def add_badges(emulator, count: int) -> list[str]:
    """``count`` more badges, named "Extra 001" and so on; returns their names."""
    names = []
    for i in range(1, count + 1):
        badge = emulator.state.create_badge({"name": f"Extra {i:03d}", "icon": "star"})
        names.append(badge["name"])
    return names


def add_users(emulator, count: int) -> list[dict]:
    users = []
    for i in range(count):
        user = {
            "id": f"65a{i:021d}",
            "email": f"person{i}@acme.example",
            "firstName": f"Person{i}",
            "lastName": "Paged",
            "permissions": ["AwardBadges"],
        }
        emulator.state.users[user["id"]] = user
        users.append(user)
    return users


async def test_every_list_is_read_to_its_end(emulator) -> None:
    emulator.page_size = 40  # the server's largest page; the client asks for 100
    seed_pending(emulator, 250)
    add_badges(emulator, 120)
    users = add_users(emulator, 250)
    client = quantive_client(emulator)
    try:
        assert len(await client.list_pending_approvals()) == 250
        assert len(await client.list_badges()) == 130
        assert len(await client.list_users()) == 262
        found = await client.get_users([u["id"] for u in users])
        assert len(found) == 250
        [last] = await client.find_users_by_email(["PERSON249@acme.example"])
        assert last.id == users[-1]["id"]
    finally:
        await client.aclose()
    pages = [c for c in emulator.calls.all() if c.route == "GET /badges/approve"]
    assert len(pages) == 7  # 250 in pages of 40
    sent = [c for c in emulator.calls.all() if c.route == "GET /users"]
    assert sent  # and each carried fields: see test_users_are_asked_with_fields


async def test_users_are_asked_with_fields(emulator) -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    http = build_http_client(emulator.url, DEFAULT_TOKEN, ACCOUNT_ID)
    http.event_hooks["request"].append(record)
    client = QuantiveClient(http, retry=RetryPolicy(max_retries=0))
    try:
        await client.find_users_by_email(["maria.garcia@acme.example"])
        await client.list_users()
    finally:
        await client.aclose()
    users = [r for r in seen if r.url.path.endswith("/users")]
    assert users and all(r.url.params.get("fields") for r in users)
    assert all("$options" not in r.url.params.get("filter", "") for r in users)


async def test_a_list_without_total_stops_at_a_short_page_and_the_bound_warns(caplog) -> None:
    items = [{"id": f"b{i}", "name": f"B{i}"} for i in range(230)]

    def bare_list(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("skip", 0))
        take = int(request.url.params.get("take", 100))
        return httpx.Response(200, json=items[skip : skip + take])

    def client(max_items: int) -> QuantiveClient:
        http = httpx.AsyncClient(
            base_url="https://quantive.test/api/v1/", transport=httpx.MockTransport(bare_list)
        )
        return QuantiveClient(http, max_items=max_items)

    assert len(await client(100_000).list_badges()) == 230
    caplog.set_level(logging.WARNING)
    assert len(await client(150).list_badges()) == 150
    assert "stopped reading at 150" in caplog.text


def test_teams_path_resolves_to_the_documented_urls() -> None:
    base = "https://app.quantive.com/results/api/v1"
    assert resolve_teams_url(base, "teams") == f"{base}/teams"
    assert resolve_teams_url(base, "v2/teams") == "https://app.quantive.com/results/api/v2/teams"
    assert resolve_teams_url(base, "/v2/teams") == "https://app.quantive.com/results/api/v2/teams"
    full = "https://example.test/custom/teams"
    assert resolve_teams_url(base, full) == full


async def test_v2_teams_is_served_beside_v1_only(emulator) -> None:
    http = build_http_client(emulator.url, DEFAULT_TOKEN, ACCOUNT_ID)
    client = QuantiveClient(http, teams_path="v2/teams")
    try:
        [team] = await client.find_teams_by_name("PLATFORM")
        assert team.name.lower() == "platform"
        wrong = await http.get("v2/teams")  # .../api/v1/v2/teams is not Quantive's
        assert wrong.status_code == 404
    finally:
        await client.aclose()
    calls = [c for c in emulator.calls.all() if c.route == "GET /v2/teams"]
    assert calls and calls[0].path == "/api/v2/teams"


async def test_a_server_that_ignores_filters_cannot_pick_the_wrong_team_or_person(
    emulator,
) -> None:
    emulator.ignore_filters = True
    client = quantive_client(emulator)
    try:
        assert await client.find_teams_by_name("No Such Team") == []
        [amara] = await client.find_users_by_email(["amara.okafor@acme.example"])
        assert amara.email.lower() == "amara.okafor@acme.example"
    finally:
        await client.aclose()


def test_group_mention_without_a_team_of_that_name_awards_no_team(bot: BotHarness) -> None:
    bot.emulator.ignore_filters = True  # /teams answers every team, whatever the filter
    bot.slack.usergroups["S1"] = ["ULIAM"]
    bot.command("give <!subteam^S1|@nosuchteam> Team Player thanks", response_key="g")
    bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "g")
    [award] = [a for a in bot.emulator.state.pending() if "thanks" == a["comment"]]
    assert award["assigneeIds"] == ["64a000000000000000000004"]  # Liam, not a team


async def test_250_pending_are_counted_everywhere(bot: BotHarness) -> None:
    seed_pending(bot.emulator, 250)
    async with slack_runtime(settings_for(bot, digest_channels=["CHR"])) as ctx:
        report = await ctx.digest.run()
    assert report.pending == 250
    [digest] = bot.slack.calls_of("chat.postMessage")
    assert "250 badge awards are waiting" in str(digest["blocks"][0])
    assert "226 more" in str(digest["blocks"][-1])  # 24 shown

    bot.command("pending", user="UMARIA", response_key="p")
    [pending] = await asyncio.to_thread(
        bot.slack.wait_calls, "response_url", 1, 10.0, lambda r: r["_key"] == "p"
    )
    assert "250 badge awards are waiting" in str(pending["blocks"])

    bot.post_event({"type": "app_home_opened", "user": "UMARIA", "channel": "D1", "tab": "home"})
    [home] = await asyncio.to_thread(bot.slack.wait_calls, "views.publish")
    assert "250" in str(home["view"]["blocks"])


def test_a_badge_past_the_first_page_can_be_given_and_listed(bot: BotHarness) -> None:
    names = add_badges(bot.emulator, 120)  # 130 in all: two pages
    bot.app.state.services.catalogue.invalidate()  # warmed at start, before these
    bot.command(f'give <@ULIAM|liam> "{names[-1]}" for paging', response_key="g")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "g")
    assert "Sent for approval" in reply["text"]
    [award] = [a for a in bot.emulator.state.pending() if a["comment"] == "for paging"]
    assert bot.emulator.state.badges[award["badgeId"]]["name"] == names[-1]
    bot.command("list", response_key="l")
    [listing] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "l")
    shown = str(listing["blocks"])
    assert "130 badges" in shown and all(name in shown for name in names)
