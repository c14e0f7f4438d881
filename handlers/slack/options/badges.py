"""Options for the badge picker (an external_select), answered from the cached catalogue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from api import errors
from handlers.slack.blocks import option
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)

#: How long an options request waits for a catalogue that is not in memory yet: Slack
#: drops an answer later than 3 s, and the picker asks again as the person types.
OPTIONS_WAIT_SECONDS = 1.5


def badge_options(ctx: SlackContext) -> Callable[..., Any]:
    """Badges whose name contains what was typed, at most 100."""

    async def handle(ack: AsyncAck, payload: dict[str, Any]) -> None:
        typed = str(payload.get("value") or "").strip().lower()
        # Instant when the list is in memory; else its load gets a bounded wait and goes
        # on, shielded, after the deadline, so the next keystroke finds it.
        load = asyncio.ensure_future(ctx.services.catalogue.badges())
        load.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved: no warning
        try:
            badges = await asyncio.wait_for(asyncio.shield(load), OPTIONS_WAIT_SECONDS)
        except (errors.QuantiveError, TimeoutError) as exc:
            log.warning("badge options unavailable: %r", exc)
            await ack(options=[])
            return
        matching = [b for b in badges if typed in b.name.lower()]
        await ack(options=[option(b.name, b.id) for b in matching[:100]])

    return handle
