"""The create/edit badge modal's submission. Quantive is called before the ack, so that its
complaints land on the modal's fields instead of in a lost modal; the call is bounded to
stay inside Slack's 3 seconds. The check itself is the core's (bot.badge_editor), shared
with Teams' badge card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.badge_editor import BadgeForm, save_badge
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape
from handlers.slack.payload import field_value, private_metadata
from handlers.slack.replies import ephemeral_or_dm

#: What the Quantive call may take before the modal must be answered.
QUANTIVE_BUDGET_SECONDS = 2.0


def _value(view: dict[str, Any], block: str) -> str:
    value = field_value(view, block, block)
    if isinstance(value, dict):
        value = value.get("value")
    return value.strip() if isinstance(value, str) else ""


def badge_editor_submitted(ctx: SlackContext) -> Callable[..., Any]:
    """Validate, save in Quantive, then close the modal or show the errors on it."""

    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        if not ctx.services.permissions.can_administer(user):
            await ack(
                response_action="errors", errors={"name": "Only badge admins can change badges."}
            )
            return
        metadata = private_metadata(view)
        badge_id = metadata.get("badge_id")
        name = _value(view, "name")
        form = BadgeForm(
            name=name,
            summary=_value(view, "summary"),
            icon=_value(view, "icon"),
            background=_value(view, "background"),
            pattern=_value(view, "pattern"),
            badge_id=badge_id,
        )
        problem = await save_badge(
            ctx.services,
            form,
            budget=QUANTIVE_BUDGET_SECONDS,
            list_hint="Check `/badge list` before trying again.",
        )
        if problem is not None:
            await ack(response_action="errors", errors={problem.field: problem.message})
            return
        await ack()
        reply = ephemeral_or_dm(ctx.notifier, metadata.get("channel"), user)
        verb = "updated" if badge_id else "created"
        await reply(f"Badge *{escape(name)}* {verb}. :sparkles:")

    return handle
