"""Ways of answering one person privately, whatever kind of request they sent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.notifications import Notifier

log = logging.getLogger(__name__)

Reply = Callable[[str], Awaitable[None]]


def respond_ephemeral(respond: AsyncRespond) -> Reply:
    """Reply through the request's response_url: works even where the bot is no member."""

    async def reply(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    return reply


def ephemeral_or_dm(
    client: AsyncWebClient, notifier: Notifier, channel: str | None, user_id: str
) -> Reply:
    """Reply ephemerally in ``channel``, or by DM when that is impossible (modals have no
    response_url, and the bot may not be in the channel)."""

    async def reply(text: str) -> None:
        if channel:
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=text)
                return
            except SlackApiError as exc:
                log.info(
                    "ephemeral in %s failed (%s); sending a DM", channel, exc.response.get("error")
                )
        await notifier.dm(user_id, text)

    return reply
