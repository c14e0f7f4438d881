"""The digest and the weekly recap in Slack: Block Kit messages posted (and the digest
updated) with the Web API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.awards import Award
from bot.chat import Platform
from bot.digest import DigestPostFailed
from bot.recap import Recap
from handlers.slack.block_limits import Block
from handlers.slack.digest_blocks import MAX_DIGEST_ITEMS, count_text, digest_blocks
from handlers.slack.directory import SlackDirectory
from handlers.slack.recap_blocks import RecapMessage, recap_message


@dataclass(frozen=True)
class DigestMessage:
    """A rendered digest: its notification text and its blocks."""

    text: str
    blocks: list[Block]


class SlackDigestPublisher:
    """bot.digest.DigestPublisher for Slack."""

    max_items = MAX_DIGEST_ITEMS
    platform: Platform = "slack"

    def __init__(self, client: AsyncWebClient, directory: SlackDirectory) -> None:
        self._client = client
        self._directory = directory

    def render(self, views: list[Award], total: int, now: datetime | None) -> DigestMessage:
        """The digest as Block Kit, within the 50-block limit."""
        return DigestMessage(count_text(total), digest_blocks(views, total, now))

    async def post(self, channel: str, message: DigestMessage) -> str:
        """Post it (see :func:`post_once`)."""
        return await post_once(self._client, channel, message.text, message.blocks)

    async def update(self, channel: str, message_id: str, message: DigestMessage) -> None:
        """Redraw a posted digest in place."""
        await self._client.chat_update(
            channel=channel, ts=message_id, text=message.text, blocks=message.blocks
        )

    async def chat_user_for_email(self, email: str) -> str | None:
        """The Slack user with this email."""
        return await self._directory.user_id_for_email(email)


class SlackRecapPublisher:
    """bot.recap.RecapPublisher for Slack."""

    platform: Platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    def render(self, recap: Recap) -> RecapMessage:
        """The recap as Block Kit."""
        return recap_message(recap)

    async def post(self, channel: str, message: RecapMessage) -> str:
        """Post it (see :func:`post_once`)."""
        return await post_once(self._client, channel, message.text, message.blocks)


async def post_once(client: AsyncWebClient, channel: str, text: str, blocks: list[Block]) -> str:
    """Post a digest or recap; its ts. Raises DigestPostFailed: certain when Slack answered
    with an error (nothing was posted), not when the answer was lost (it may be there)."""
    try:
        posted = await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as exc:
        raise DigestPostFailed(str(exc.response.get("error") or exc), certain=True) from None
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise DigestPostFailed(type(exc).__name__, certain=False) from None
    return str(posted["ts"])
