"""The give modal's submission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from api import errors
from handlers.slack import blocks, give_flow
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape
from handlers.slack.payload import field_value, private_metadata
from handlers.slack.replies import ephemeral_or_dm


def give_submitted(ctx: SlackContext) -> Callable[..., Any]:
    """Check the form (errors go on its fields), close it, then give."""

    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        giver = body["user"]["id"]
        users = field_value(view, "recipients", "users")
        users = [u for u in users if isinstance(u, str)] if isinstance(users, list) else []
        picked = field_value(view, "badge", blocks.BADGE_OPTIONS)
        picked = picked if isinstance(picked, dict) and picked.get("value") else None
        comment = field_value(view, "comment", "comment")
        comment = comment if isinstance(comment, str) else ""
        problems: dict[str, str] = {}
        if not users:
            problems["recipients"] = "Pick at least one person."
        elif giver in users:
            problems["recipients"] = "You can't give a badge to yourself."
        if not picked:
            problems["badge"] = "Pick a badge."
        if problems:
            await ack(response_action="errors", errors=problems)
            return
        await ack()
        metadata = private_metadata(view)
        reply = ephemeral_or_dm(ctx.notifier, metadata.get("channel"), giver)
        try:
            badge = await ctx.services.catalogue.by_id(str(picked.get("value")))
        except errors.QuantiveError as exc:
            await reply(f"Nothing was awarded. {escape(exc.user_message)}")
            return
        if badge is None:
            await reply("That badge no longer exists. `/badge list` shows the current ones.")
            return
        await give_flow.give(
            ctx,
            giver_id=giver,
            user_ids=users,
            groups=[],
            badge=badge,
            comment=comment,
            origin_channel=metadata.get("channel"),
            reply=reply,
        )

    return handle
