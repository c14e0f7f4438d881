"""The give modal's submission."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from api import errors
from handlers import blocks, give_flow
from handlers.context import SlackContext
from handlers.mrkdwn import escape
from handlers.replies import ephemeral_or_dm


def give_submitted(ctx: SlackContext) -> Callable[..., Any]:
    """Check the form (errors go on its fields), close it, then give."""

    async def handle(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        values = view.get("state", {}).get("values", {})
        giver = body["user"]["id"]
        users = list(values.get("recipients", {}).get("users", {}).get("selected_users") or [])
        picked = values.get("badge", {}).get(blocks.BADGE_OPTIONS, {}).get("selected_option")
        comment = values.get("comment", {}).get("comment", {}).get("value") or ""
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
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            metadata = {}
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
