"""The digest in Slack: Block Kit messages posted and updated with the Web API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.awards import AwardView
from bot.chat import Platform
from bot.digest import DigestPostFailed
from handlers.slack.block_limits import Block
from handlers.slack.digest_blocks import MAX_DIGEST_ITEMS, count_text, digest_blocks
from handlers.slack.directory import SlackDirectory


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

    def render(self, views: list[AwardView], total: int, now: datetime | None) -> DigestMessage:
        """The digest as Block Kit, within the 50-block limit."""
        return DigestMessage(count_text(total), digest_blocks(views, total, now))

    async def post(self, channel: str, message: DigestMessage) -> str:
        """Post it; a Slack error means nothing was posted, a lost answer that it may be."""
        try:
            posted = await self._client.chat_postMessage(
                channel=channel, text=message.text, blocks=message.blocks
            )
        except SlackApiError as exc:
            raise DigestPostFailed(str(exc.response.get("error") or exc), certain=True) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DigestPostFailed(type(exc).__name__, certain=False) from None
        return str(posted["ts"])

    async def update(self, channel: str, message_id: str, message: DigestMessage) -> None:
        """Redraw a posted digest in place."""
        await self._client.chat_update(
            channel=channel, ts=message_id, text=message.text, blocks=message.blocks
        )

    async def chat_user_for_email(self, email: str) -> str | None:
        """The Slack user with this email."""
        return await self._directory.user_id_for_email(email)
