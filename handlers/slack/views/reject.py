"""The reject modal's submission: the reason, then exactly one reject call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from handlers.slack.context import SlackContext
from handlers.slack.decisions import decide
from handlers.slack.payload import field_value, private_metadata
from handlers.slack.replies import ephemeral_or_dm


def reject_submitted(ctx: SlackContext) -> Callable[..., Any]:
    """Close the modal, then reject once and tell everyone involved."""

    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        user_id = body["user"]["id"]
        metadata = private_metadata(view)
        reply = ephemeral_or_dm(ctx.notifier, metadata.get("channel"), user_id)
        assignment_id = str(metadata.get("assignment_id") or "")
        if not assignment_id:
            return
        reason = field_value(view, "reason", "reason")
        reason = reason if isinstance(reason, str) else ""
        await decide(ctx, assignment_id, "reject", user_id, reason, reply)

    return handle
