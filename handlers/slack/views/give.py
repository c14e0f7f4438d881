"""The give modal: opening it for a typed badge name in time, and its submission."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from api import errors
from bot.catalogue import BadgeMatch, match_badge
from handlers.slack import blocks, give_flow
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape
from handlers.slack.payload import field_value, private_metadata
from handlers.slack.replies import Reply, ephemeral_or_dm

log = logging.getLogger(__name__)

#: How long a cold catalogue may take before the modal opens as a stand-in that is filled
#: in later: Slack's trigger_id lives 3 s from the invocation, and the ack came first.
LOOKUP_GRACE_SECONDS = 1.0


def _form(channel_id: str | None, match: BadgeMatch) -> dict[str, Any]:
    """The give form prefilled with the badge found and the comment after its name."""
    assert match.badge is not None
    return blocks.give_modal(
        channel_id=channel_id,
        badge=(match.badge.id, match.badge.name),
        comment=match.rest,
        notice="Who should get it?",
    )


async def open_for_badge(
    ctx: SlackContext,
    client: AsyncWebClient,
    trigger_id: str,
    *,
    channel_id: str | None,
    text: str,
    reply: Reply,
) -> None:
    """Open the give modal for ``/badge give <badge> [comment]``, which names nobody.

    The badge is read from the cached catalogue when it is there. When it is not (the list
    was never loaded, was dropped after an edit, or misses and must be reloaded), the
    lookup gets LOOKUP_GRACE_SECONDS; after that the modal opens as a stand-in and is
    filled in by ``views.update`` once Quantive answers, so a slow Quantive cannot make the
    trigger_id expire. An unknown name found within the grace is answered as before.
    """
    cached = ctx.services.catalogue.cached()
    found = match_badge(cached, text) if cached is not None else None
    if found is not None and found.badge is not None:
        await client.views_open(trigger_id=trigger_id, view=_form(channel_id, found))
        return
    lookup = asyncio.ensure_future(ctx.services.catalogue.match(text))
    try:
        done, _ = await asyncio.wait({lookup}, timeout=LOOKUP_GRACE_SECONDS)
        if done:
            try:
                match = lookup.result()
            except errors.QuantiveError as exc:
                await reply(f"I couldn't load the badges. {escape(exc.user_message)}")
                return
            if match.badge is None:
                await reply(give_flow.unknown_give_badge_text(text, match.suggestions, match.typed))
                return
            await client.views_open(trigger_id=trigger_id, view=_form(channel_id, match))
            return
        opened = await client.views_open(
            trigger_id=trigger_id, view=blocks.give_modal(channel_id=channel_id, looking_up=text)
        )
        try:
            match = await lookup  # bounded by the Quantive client's own deadline
        except errors.QuantiveError as exc:
            view = blocks.give_modal(
                channel_id=channel_id,
                comment=text,
                notice=f"I couldn't load the badges. {exc.user_message}",
            )
        else:
            view = _form(channel_id, match) if match.badge else _unknown(channel_id, text, match)
        await _update(client, opened.get("view") or {}, view)
    finally:
        lookup.cancel()  # a no-op once done; ends the lookup if this handler was cancelled


def _unknown(channel_id: str | None, text: str, match: BadgeMatch) -> dict[str, Any]:
    """The give form, with what was typed as the comment, when no badge has that name."""
    hint = f" Did you mean {', '.join(match.suggestions)}?" if match.suggestions else ""
    first_words = " ".join(text.split()[:3])
    return blocks.give_modal(
        channel_id=channel_id,
        comment=text,
        notice=f"I don't know a badge called “{first_words}”.{hint} Pick one below.",
    )


async def _update(client: AsyncWebClient, opened: dict[str, Any], view: dict[str, Any]) -> None:
    """Replace the stand-in; its hash makes Slack refuse if the view changed since."""
    try:
        await client.views_update(view_id=opened.get("id"), hash=opened.get("hash"), view=view)
    except SlackApiError as exc:  # closed by the person meanwhile, most likely
        log.info("give modal not filled in: %s", exc.response.get("error"))


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
        gone = "That badge no longer exists. `/badge list` shows the current ones."
        badge = await give_flow.picked_badge(ctx, str(picked.get("value")), reply, gone)
        if badge is None:
            return
        await give_flow.give(
            ctx,
            give_flow.GiveOrder(
                giver_id=giver,
                user_ids=users,
                groups=[],
                badge=badge,
                comment=comment,
                origin_channel=metadata.get("channel"),
            ),
            reply,
        )

    return handle
