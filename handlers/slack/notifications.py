"""Everything the bot posts about an award: approval requests, DMs, celebrations, and the
in-place updates of every message that showed an award once it is decided.

All of it goes through :class:`SlackDelivery`, so a post that fails for a passing reason
is retried later instead of being lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.awards import Award
from bot.effects import effects as run_effects
from bot.ports import audience, notice_key
from bot.store import Store
from handlers.slack import blocks
from handlers.slack.delivery import SlackDelivery, describe_error

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
        redraw_digest: DigestRedraw,
    ) -> None:
        self.delivery = delivery
        self._store = store
        self._approvers = approvers
        self._approval_channel = approval_channel
        self._announce_channel = announce_channel
        self._redraw_digest = redraw_digest

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client, for calls that are answered at once (views, options)."""
        return self.delivery.client

    async def dm(
        self,
        user_id: str,
        text: str,
        message_blocks: list[Any] | None = None,
        *,
        key: str | None = None,
    ) -> None:
        """Send a direct message, retried later if Slack cannot take it now; ``key`` names
        the notice, so that it is queued (and posted) once however often it is sent."""
        await self.delivery.perform(
            {"kind": "dm", "user": user_id, "text": text, "blocks": message_blocks, "key": key}
        )

    async def ephemeral(self, channel: str | None, user_id: str, text: str) -> None:
        """A message only ``user_id`` sees in ``channel``, or a DM when that cannot be."""
        if channel:
            await self.delivery.perform(
                {"kind": "ephemeral", "channel": channel, "user": user_id, "text": text}
            )
        else:
            await self.dm(user_id, text)

    async def request_approval(self, award: Award) -> int:
        """Post the approval request to the approval channel, or DM it to each approver,
        and remember every message so that it can be updated after the decision.

        Each approver is its own effect: one who cannot be messaged does not stop the
        others. Returns how many requests were posted or queued for a retry.
        """
        text = blocks.approval_request_fallback(award)
        request_blocks = blocks.approval_request_blocks(award)
        record = {"assignment_id": award.assignment_id, "kind": "request"}
        if self._approval_channel:
            targets = [{"kind": "post", "channel": self._approval_channel}]
        else:
            targets = [{"kind": "dm", "user": approver} for approver in self._approvers]
        reached = await effects(
            {
                f"approval request to {t.get('channel') or t.get('user')}": self.delivery.perform(
                    {**t, "text": text, "blocks": request_blocks, "record": record}
                )
                for t in targets
            }
        )
        return sum(reached.values())

    async def announce(self, award: Award, *, celebrate: bool = True) -> None:
        """Tell the recipients reached in Slack by DM and, with ``celebrate``, celebrate in
        the announce (or origin) channel; each message stands alone."""
        dm_blocks = blocks.recipient_dm_blocks(award)
        text = blocks.recipient_dm_fallback(award)
        people = [
            r.chat_user_id
            for r in award.recipients
            if r.chat_user_id and r.platform in (None, "slack")
        ]
        key_part = notice_key(award)
        todo = {
            f"DM to {u}": self.dm(u, text, dm_blocks, key=f"notice:{key_part}:{u}") for u in people
        }
        channel = (self._announce_channel or award.origin_channel) if celebrate else None
        if channel:
            todo[f"celebration in {channel}"] = self.delivery.perform(
                {
                    "kind": "post",
                    "channel": channel,
                    "text": blocks.celebration_fallback(award),
                    "blocks": blocks.celebration_blocks(award),
                    "key": f"celebration:{key_part}:{channel}",
                    "award": key_part,
                }
            )
        await effects(todo)

    async def refresh(self, award: Award) -> None:
        """Update every message that shows the award, in place; each on its own, so a
        deleted message does not stop the others."""
        todo: dict[str, Awaitable[Any]] = {}
        for ref in await self._store.messages_for(award.assignment_id):
            if ref.platform != "slack":
                continue  # Teams redraws its own
            if ref.kind == "digest":
                todo[f"digest {ref.channel}/{ref.ts}"] = self._redraw_digest(ref.channel, ref.ts)
                continue
            todo[f"request {ref.channel}/{ref.ts}"] = self.delivery.perform(
                {
                    "kind": "update",
                    "channel": ref.channel,
                    "ts": ref.ts,
                    "text": blocks.approval_request_fallback(award),
                    "blocks": blocks.approval_request_blocks(award),
                }
            )
        await effects(todo)

    async def after_decision(self, award: Award) -> None:
        """Redraw the messages; tell the giver, and on approval the recipients, when they
        were reached in Slack, and celebrate an award given here.

        Every one of these is its own effect: a message that cannot be updated (deleted,
        say) does not keep the giver or the recipients from hearing the news.
        """
        todo: dict[str, Awaitable[Any]] = {"message updates": self.refresh(award)}
        told = audience(award, "slack")
        if told.giver and award.giver.chat_user_id:
            todo["DM to the giver"] = self.dm(
                award.giver.chat_user_id,
                blocks.giver_decision_fallback(award),
                [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": blocks.giver_decision_text(award)},
                    }
                ],
            )
        if told.recipients or told.celebrate:
            todo["announcement"] = self.announce(award, celebrate=told.celebrate)
        await effects(todo)


async def effects(todo: Mapping[str, Awaitable[Any]]) -> dict[str, bool]:
    """bot.effects.effects, with Slack's errors described by their Slack error code."""
    return await run_effects(todo, describe_error)
