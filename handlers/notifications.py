"""Everything the bot posts about an award: approval requests, DMs, celebrations, and the
in-place updates of every message that showed an award once it is decided."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.awards import AwardView
from bot.store import Store
from handlers import blocks

log = logging.getLogger(__name__)

#: Redraws a digest message (channel, ts) after one of its awards changed.
DigestRedraw = Callable[[str, str], Awaitable[None]]


class Notifier:
    """Posts and updates award messages in Slack."""

    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        *,
        approvers: list[str],
        approval_channel: str | None,
        announce_channel: str | None,
    ) -> None:
        self.client = client
        self._store = store
        self._approvers = approvers
        self._approval_channel = approval_channel
        self._announce_channel = announce_channel
        self.redraw_digest: DigestRedraw | None = None

    async def dm(self, user_id: str, text: str, message_blocks: list[Any] | None = None) -> str:
        """Send a direct message; returns the DM channel id."""
        opened = await self.client.conversations_open(users=user_id)
        channel = opened["channel"]["id"]
        await self.client.chat_postMessage(channel=channel, text=text, blocks=message_blocks)
        return channel

    async def request_approval(self, view: AwardView) -> None:
        """Post the approval request to the approval channel, or DM it to each approver,
        and remember every message so that it can be updated after the decision."""
        payload = {
            "text": blocks.approval_request_fallback(view),
            "blocks": blocks.approval_request_blocks(view),
        }
        if self._approval_channel:
            targets = [self._approval_channel]
        else:
            opened = await asyncio.gather(
                *(self.client.conversations_open(users=a) for a in self._approvers)
            )
            targets = [o["channel"]["id"] for o in opened]
        for channel in targets:
            posted = await self.client.chat_postMessage(channel=channel, **payload)
            self._store.add_message(view.assignment_id, posted["channel"], posted["ts"], "request")

    async def announce(self, view: AwardView) -> None:
        """Tell the recipients by DM and celebrate in the announce (or origin) channel."""
        dm_blocks = blocks.recipient_dm_blocks(view)
        text = f"You received the {view.badge_name} badge from {view.giver.name}"
        people = [r.chat_user_id for r in view.recipients if r.chat_user_id]
        await asyncio.gather(*(self.dm(u, text, dm_blocks) for u in people))
        channel = self._announce_channel or view.origin_channel
        if channel:
            try:
                await self.client.chat_postMessage(
                    channel=channel,
                    text=f"{view.badge_name} badge awarded",
                    blocks=blocks.celebration_blocks(view),
                )
            except SlackApiError as exc:
                # A DM or a channel the bot is not in: the DMs already carried the news.
                log.warning("could not celebrate in %s: %s", channel, exc.response.get("error"))

    async def refresh(self, view: AwardView) -> None:
        """Update every message that shows the award, in place."""
        for ref in self._store.messages_for(view.assignment_id):
            try:
                if ref.kind == "digest":
                    if self.redraw_digest is not None:
                        await self.redraw_digest(ref.channel, ref.ts)
                    continue
                await self.client.chat_update(
                    channel=ref.channel,
                    ts=ref.ts,
                    text=blocks.approval_request_fallback(view),
                    blocks=blocks.approval_request_blocks(view),
                )
            except SlackApiError as exc:
                log.warning(
                    "could not update %s/%s: %s", ref.channel, ref.ts, exc.response.get("error")
                )

    async def after_decision(self, view: AwardView) -> None:
        """Redraw the messages, tell the giver, and on approval the recipients and channel."""
        await self.refresh(view)
        if view.status == "handled":
            return
        if view.giver.chat_user_id:
            await self.dm(
                view.giver.chat_user_id,
                f"Your {view.badge_name} award was {view.status}",
                [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": blocks.giver_decision_text(view)},
                    }
                ],
            )
        if view.status == "approved":
            await self.announce(view)
