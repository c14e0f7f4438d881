"""The create/edit badge modal's submission. Quantive is called before the ack, so that its
complaints land on the modal's fields instead of in a lost modal; the call is bounded to
stay inside Slack's 3 seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from api import errors
from api.models import BadgeInput
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
        if not name:
            await ack(response_action="errors", errors={"name": "Give the badge a name."})
            return
        catalogue = ctx.services.catalogue
        try:
            taken = [
                b
                for b in await catalogue.badges()
                if b.name.lower() == name.lower() and b.id != badge_id
            ]
        except errors.QuantiveError:
            taken = []  # Quantive itself will refuse a duplicate below
        if taken:
            await ack(
                response_action="errors",
                errors={"name": f"A badge called “{taken[0].name}” already exists."},
            )
            return
        badge = BadgeInput(
            name=name,
            summary=_value(view, "summary"),
            icon=_value(view, "icon"),
            background=_value(view, "background"),
            pattern=_value(view, "pattern"),
        )
        quantive = ctx.services.quantive
        try:
            call = (
                quantive.update_badge(badge_id, badge) if badge_id else quantive.create_badge(badge)
            )
            await asyncio.wait_for(call, QUANTIVE_BUDGET_SECONDS)
        except errors.BadRequest as exc:
            await ack(
                response_action="errors",
                errors={"name": exc.server_message or "Quantive refused this badge."},
            )
            return
        except (errors.QuantiveError, TimeoutError) as exc:
            message = getattr(exc, "user_message", "Quantive did not answer in time.")
            if not badge_id:
                message += " Check `/badge list` before trying again."
            await ack(response_action="errors", errors={"name": message[:150]})
            return
        await ack()
        catalogue.invalidate()
        reply = ephemeral_or_dm(ctx.notifier, metadata.get("channel"), user)
        verb = "updated" if badge_id else "created"
        await reply(f"Badge *{escape(name)}* {verb}. :sparkles:")

    return handle
