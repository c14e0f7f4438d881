"""Everything the bot posts about an award: approval requests, DMs, celebrations, and the
in-place updates of every message that showed an award once it is decided.

All of it goes through :class:`SlackDelivery`, so a post that fails for a passing reason
is retried later instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.awards import AwardView
from bot.store import Store
from handlers import blocks
from handlers.slack_delivery import SlackDelivery

log = logging.getLogger(__name__)

#: Redraws a digest message (channel, ts) after one of its awards changed.
DigestRedraw = Callable[[str, str], Awaitable[None]]


class Notifier:
    """Posts and updates award messages in Slack."""

    def __init__(
        self,
        delivery: SlackDelivery,
        store: Store,
        *,
        approvers: list[str],
        approval_channel: str | None,
        announce_channel: str | None,
    ) -> None:
        self.delivery = delivery
        self._store = store
        self._approvers = approvers
        self._approval_channel = approval_channel
        self._announce_channel = announce_channel
        self.redraw_digest: DigestRedraw | None = None

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client, for calls that are answered at once (views, options)."""
        return self.delivery.client

    async def dm(self, user_id: str, text: str, message_blocks: list[Any] | None = None) -> None:
        """Send a direct message, retried later if Slack cannot take it now."""
        await self.delivery.perform(
            {"kind": "dm", "user": user_id, "text": text, "blocks": message_blocks}
        )

    async def ephemeral(self, channel: str | None, user_id: str, text: str) -> None:
        """A message only ``user_id`` sees in ``channel``, or a DM when that cannot be."""
        if channel:
            await self.delivery.perform(
                {"kind": "ephemeral", "channel": channel, "user": user_id, "text": text}
            )
        else:
            await self.dm(user_id, text)

    async def request_approval(self, view: AwardView) -> None:
        """Post the approval request to the approval channel, or DM it to each approver,
        and remember every message so that it can be updated after the decision."""
        text = blocks.approval_request_fallback(view)
        request_blocks = blocks.approval_request_blocks(view)
        record = {"assignment_id": view.assignment_id, "kind": "request"}
        if self._approval_channel:
            await self.delivery.perform(
                {
                    "kind": "post",
                    "channel": self._approval_channel,
                    "text": text,
                    "blocks": request_blocks,
                    "record": record,
                }
            )
            return
        await asyncio.gather(
            *(
                self.delivery.perform(
                    {
                        "kind": "dm",
                        "user": approver,
                        "text": text,
                        "blocks": request_blocks,
                        "record": record,
                    }
                )
                for approver in self._approvers
            )
        )

    async def announce(self, view: AwardView) -> None:
        """Tell the recipients by DM and celebrate in the announce (or origin) channel."""
        dm_blocks = blocks.recipient_dm_blocks(view)
        text = f"You received the {view.badge_name} badge from {view.giver.name}"
        people = [r.chat_user_id for r in view.recipients if r.chat_user_id]
        await asyncio.gather(*(self.dm(u, text, dm_blocks) for u in people))
        channel = self._announce_channel or view.origin_channel
        if channel:
            try:
                await self.delivery.perform(
                    {
                        "kind": "post",
                        "channel": channel,
                        "text": f"{view.badge_name} awarded",
                        "blocks": blocks.celebration_blocks(view),
                    }
                )
            except Exception as exc:
                # A channel the bot is not in: the DMs already carried the news.
                log.warning("could not celebrate in %s: %s", channel, exc)

    async def refresh(self, view: AwardView) -> None:
        """Update every message that shows the award, in place."""
        for ref in self._store.messages_for(view.assignment_id):
            if ref.kind == "digest":
                if self.redraw_digest is not None:
                    await self.redraw_digest(ref.channel, ref.ts)
                continue
            try:
                await self.delivery.perform(
                    {
                        "kind": "update",
                        "channel": ref.channel,
                        "ts": ref.ts,
                        "text": blocks.approval_request_fallback(view),
                        "blocks": blocks.approval_request_blocks(view),
                    }
                )
            except Exception as exc:
                log.warning("could not update %s/%s: %s", ref.channel, ref.ts, exc)

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
