"""Sending Teams activities to the running app, signed as the Bot Framework signs them,
and reading what the bot sent back through the fake connector."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from tests.fake_teams import TENANT_ID, FakeTeams
from tests.harness import BotHarness


def post_activity(bot: BotHarness, activity: dict, token: str | None) -> httpx.Response:
    """POST an activity to /api/messages with ``token`` as its bearer (None: no header)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return bot.http.post(f"{bot.server.url}/api/messages", json=activity, headers=headers)


def send(bot: BotHarness, teams: FakeTeams, activity: dict) -> httpx.Response:
    """Post a validly signed activity and wait until the bot has finished with it."""
    answer = post_activity(bot, activity, teams.sign())
    assert answer.status_code == 200, answer.text
    bot.wait_idle()
    return answer


def install(bot: BotHarness, teams: FakeTeams, user: str, tenant: str = TENANT_ID) -> None:
    """The app installed for ``user`` (Teams sends installationUpdate to their 1:1 chat)."""
    conversation = f"a:{user.removeprefix('29:')}"
    activity = teams.activity(
        "installationUpdate", user=user, conversation=conversation, action="add", tenant=tenant
    )
    send(bot, teams, activity)


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card an activity carries."""
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def nodes(element: Any) -> Iterator[dict[str, Any]]:
    """Every object of a card, depth first; a paragraph (RichTextBlock) is one node."""
    if isinstance(element, dict):
        yield element
        if element.get("type") != "RichTextBlock":
            for value in element.values():
                yield from nodes(value)
    elif isinstance(element, list):
        for item in element:
            yield from nodes(item)


def texts(element: Any) -> str:
    """Every text of a card, runs and facts included, joined: what a reader sees."""
    found: list[str] = []
    for node in nodes(element):
        if node.get("type") == "RichTextBlock":
            found.append("".join(str(r.get("text", "")) for r in node.get("inlines", [])))
            continue
        found += [node[key] for key in ("text", "title", "value") if isinstance(node.get(key), str)]
    return " ".join(found)


def actions(element: Any) -> list[dict[str, Any]]:
    """Every Action.Execute of a card, those inside ShowCards included."""
    return [node for node in nodes(element) if node.get("type") == "Action.Execute"]


def action(element: Any, verb: str) -> dict[str, Any]:
    """The first Action.Execute with this verb."""
    return next(a for a in actions(element) if a["verb"] == verb)
