"""Options for the badge picker (an external_select), answered from the cached catalogue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from api import errors
from handlers.slack.blocks import option
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)


def badge_options(ctx: SlackContext) -> Callable[..., Any]:
    """Badges whose name contains what was typed, at most 100."""

    async def handle(ack: AsyncAck, payload: dict[str, Any]) -> None:
        typed = str(payload.get("value") or "").strip().lower()
        try:
            badges = await ctx.services.catalogue.badges()
        except errors.QuantiveError as exc:
            log.warning("badge options unavailable: %s", exc)
            await ack(options=[])
            return
        matching = [b for b in badges if typed in b.name.lower()]
        await ack(options=[option(b.name, b.id) for b in matching[:100]])

    return handle
