"""The Approve and Reject buttons, wherever they appear (requests, digests, App Home)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.awards import award_key
from bot.awards.sync import decided_in_quantive
from bot.identity import ChatProfile
from handlers.slack import blocks
from handlers.slack.context import SlackContext
from handlers.slack.decisions import (
    UNKNOWN_AWARD,
    already_decided_text,
    decide,
    not_an_approver_text,
)
from handlers.slack.replies import action_reply


def approve_button(ctx: SlackContext) -> Callable[..., Any]:
    """Approve with one click, exactly once."""

    async def handle(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        user_id = body["user"]["id"]
        reply = action_reply(ctx.notifier, body, respond)
        await decide(ctx, str(action.get("value", "")), "approve", user_id, "", reply)

    return handle


def reject_button(ctx: SlackContext) -> Callable[..., Any]:
    """Open the reason modal at once; the decision happens when it is submitted."""

    async def handle(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        user_id = body["user"]["id"]
        # Asked before the reason modal opens; the core asks again when it is submitted.
        if not ctx.services.awards.may_approve(ChatProfile(user_id, user_id)):
            await action_reply(ctx.notifier, body, respond)(not_an_approver_text(ctx, "reject"))
            return
        assignment_id = str(action.get("value", ""))
        if award_key(assignment_id) is None:
            return
        award = await ctx.services.awards.award(assignment_id)
        if award is None and ctx.services.awards.known_awards_only:
            # Another workspace's id (or a forged one): no reason is asked for an award
            # this workspace cannot decide, and nothing is said of it.
            await action_reply(ctx.notifier, body, respond)(UNKNOWN_AWARD)
            return
        ended = decided_in_quantive(award)
        if ended is not None:  # no reason to ask for: it was decided in Quantive's web app
            text = already_decided_text(ended)
            await action_reply(ctx.notifier, body, respond)(text)
            return
        modal = blocks.reject_modal(assignment_id, award)
        channel = (body.get("channel") or {}).get("id")
        modal["private_metadata"] = json.dumps({"assignment_id": assignment_id, "channel": channel})
        await client.views_open(trigger_id=body["trigger_id"], view=modal)

    return handle
