"""The confirmed Delete and Revoke buttons, and Cancel."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from api import errors
from bot.awards import Award, is_plausible_id
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape
from handlers.slack.replies import Reply, action_reply, replace_original

#: What an admin button does once the clicker is known to be an admin: the clicked
#: action, and the reply that replaces the confirmed message.
AdminAct = Callable[[dict[str, Any], Reply], Awaitable[None]]


def admin_button(ctx: SlackContext, refusal: str, act: AdminAct) -> Callable[..., Any]:
    """A listener for a confirmed admin button: ack, then ``act`` for a badge admin, or
    ``refusal`` told privately to anyone else (the button may sit in a shared message)."""

    # The parameter names are the ones Bolt passes by name (handlers.slack.dispatch).
    async def handle(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        say = replace_original(ctx.notifier, body, respond)
        if not ctx.services.permissions.can_administer(body["user"]["id"]):
            await action_reply(ctx.notifier, body, respond)(refusal)
            return
        await act(action, say)

    return handle


def delete_button(ctx: SlackContext) -> Callable[..., Any]:
    """Delete the badge after the confirm dialog."""

    async def delete(action: dict[str, Any], say: Reply) -> None:
        badge_id = str(action.get("value", ""))
        if not is_plausible_id(badge_id):
            return  # not a button of ours
        try:
            badge = await ctx.services.catalogue.by_id(badge_id)
            await ctx.services.quantive.delete_badge(badge_id)
        except errors.NotFound:
            await say("That badge was already deleted.")
            return
        except errors.QuantiveError as exc:
            await say(f"Nothing was deleted. {escape(exc.user_message)}")
            return
        ctx.services.catalogue.invalidate()
        ctx.services.holdings.invalidate()
        name = escape(badge.name) if badge else "The badge"
        await say(f":wastebasket: *{name}* was deleted.")

    return admin_button(ctx, "Only badge admins can delete badges.", delete)


def revoke_button(ctx: SlackContext) -> Callable[..., Any]:
    """Take the badge back after the confirm dialog; the former holder is not pinged."""

    async def revoke(action: dict[str, Any], say: Reply) -> None:
        try:
            value = json.loads(action.get("value") or "{}")
            view = await ctx.services.awards.award(str(value["assignment_id"]))
        except (ValueError, KeyError, TypeError):
            return
        if not isinstance(view, Award):
            await say("I no longer know that award.")
            return
        try:
            await ctx.services.awards.revoke(view, str(value["assignee_id"]))
        except errors.NotFound:
            await say("That badge was already taken back.")
            return
        except errors.QuantiveError as exc:
            await say(f"Nothing changed. {escape(exc.user_message)}")
            return
        ctx.services.holdings.invalidate()
        badge, name = escape(str(value.get("badge"))), escape(str(value.get("name")))
        await say(f"Revoked *{badge}* from {name}.")

    return admin_button(ctx, "Only badge admins can revoke badges.", revoke)


def cancel_button(ctx: SlackContext) -> Callable[..., Any]:
    """Withdraw the question."""

    async def handle(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        if body.get("response_url"):
            await respond(delete_original=True)

    return handle
