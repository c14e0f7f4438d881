"""Ways of answering one person privately, whatever kind of request they sent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from handlers.slack.notifications import Notifier

log = logging.getLogger(__name__)

Reply = Callable[[str], Awaitable[None]]


def respond_ephemeral(respond: AsyncRespond, fallback: Reply | None = None) -> Reply:
    """Reply through the request's response_url, which works even where the bot is no
    member; if it fails (it expires after 30 minutes and 5 uses), use ``fallback``."""

    async def reply(text: str) -> None:
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception as exc:  # the reply must never abort the work behind it
            log.warning("response_url failed (%s); replying another way", type(exc).__name__)
            if fallback is not None:
                await fallback(text)

    return reply


def ephemeral_or_dm(notifier: Notifier, channel: str | None, user_id: str) -> Reply:
    """Reply ephemerally in ``channel``, or by DM when that is impossible (modals have no
    response_url, and the bot may not be in the channel)."""

    async def reply(text: str) -> None:
        await notifier.ephemeral(channel, user_id, text)

    return reply


def action_reply(notifier: Notifier, body: dict[str, Any], respond: AsyncRespond) -> Reply:
    """The private reply to a button click: through its response_url when it has one
    (messages), else ephemeral-or-DM (Home tab and modals carry none)."""
    user = body.get("user") or {}
    direct = ephemeral_or_dm(notifier, (body.get("channel") or {}).get("id"), str(user.get("id")))
    if body.get("response_url"):
        return respond_ephemeral(respond, direct)
    return direct


def replace_original(notifier: Notifier, body: dict[str, Any], respond: AsyncRespond) -> Reply:
    """Replace the message the button was in, or reply privately when there is none."""
    if not body.get("response_url"):
        return action_reply(notifier, body, respond)

    async def reply(text: str) -> None:
        await respond(text=text, replace_original=True)

    return reply
