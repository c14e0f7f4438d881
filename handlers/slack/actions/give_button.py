"""The Home tab's "Give a badge" button, and the "Give a badge for this" message shortcut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack import blocks
from handlers.slack.context import SlackContext


def open_give_modal(ctx: SlackContext) -> Callable[..., Any]:
    """Open the empty give modal at once."""

    async def handle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"], view=blocks.give_modal(channel_id=None)
        )

    return handle


def message_permalink(team_domain: str, channel: str, ts: str) -> str:
    """A message's link, built without a Web API call so the modal opens in time."""
    return f"https://{team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def give_for_message(ctx: SlackContext) -> Callable[..., Any]:
    """Open the give modal prefilled with the message's author and a link to it."""

    async def handle(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        message = shortcut.get("message") or {}
        channel = (shortcut.get("channel") or {}).get("id")
        author = message.get("user")
        link = message_permalink(
            (shortcut.get("team") or {}).get("domain") or "app",
            channel or "",
            str(message.get("ts") or ""),
        )
        users = [author] if author and author != shortcut["user"]["id"] else []
        await client.views_open(
            trigger_id=shortcut["trigger_id"],
            view=blocks.give_modal(
                channel_id=channel, user_ids=users, comment=f"For this message: {link}"
            ),
        )

    return handle
