"""Give by reaction: a mapped emoji (BADGE_REACTIONS) added to someone's message asks the
reacting person, privately, whether to give that badge for it; **Give** runs the normal
give flow with a link to the message (and its first words) as the comment.

Reacting to your own message, to a bot's, or again on the same message gives nothing and
is explained once, without spam. What was offered and given for which message is kept
for 90 days (``keep:`` keys), not just the hour that request ids are kept: an old
ephemeral's Give button cannot give twice."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from api import errors
from api.models import Badge
from bot.awards import truncate
from bot.store.seen_requests import KEEP_PREFIX
from handlers.slack import give_flow
from handlers.slack.admin_blocks import CANCEL_ACTION
from handlers.slack.blocks import ICON_EMOJI, Block, badge_emoji, button, question_blocks
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape, mention
from handlers.slack.replies import replace_original

log = logging.getLogger(__name__)

GIVE_FOR_REACTION = "give_for_reaction"
#: Room left in a comment for the message's first words, after the link.
FIRST_WORDS = 120


def reaction_map(setting: str | None, badges: list[Badge]) -> dict[str, str]:
    """Emoji name → badge name: BADGE_REACTIONS (``telescope=Visionary,...``), else each
    badge's icon as its emoji (the emoji the bot shows for it)."""
    if setting:
        mapping = {}
        for pair in setting.split(","):
            emoji, _, badge = pair.partition("=")
            if emoji.strip() and badge.strip():
                mapping[emoji.strip().strip(":").lower()] = badge.strip()
        return mapping
    mapping = {}
    for badge in badges:
        emoji = ICON_EMOJI.get((badge.icon or "").lower())
        if emoji:
            mapping.setdefault(emoji.strip(":"), badge.name)
    return mapping


def prompt_blocks(badge: Badge, author: str, value: str) -> list[Block]:
    """ "Give *Visionary* to @author for this message? [Give] [Not now]"."""
    badge_words = f"{badge_emoji(badge.icon)} *{escape(badge.name)}*"
    text = f"Give {badge_words} to {mention(author)} for this message?"
    return question_blocks(
        text,
        [
            button(GIVE_FOR_REACTION, "Give", value, style="primary"),
            # The existing Cancel listener takes the question away.
            button(CANCEL_ACTION, "Not now", "cancel"),
        ],
    )


def reaction_added(ctx: SlackContext) -> Callable[..., Any]:
    """Offer the badge mapped to the emoji, or explain (once) why not."""

    async def handle(event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        user, author = str(event.get("user") or ""), str(event.get("item_user") or "")
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        if item.get("type") != "message" or not (user and channel and ts):
            return
        try:
            badges = await ctx.services.catalogue.badges()
        except errors.QuantiveError as exc:
            log.info("reaction ignored: no catalogue (%s)", exc)
            return
        mapping = reaction_map(ctx.services.settings.badge_reactions, badges)
        name = mapping.get(str(event.get("reaction") or "").split("::")[0])
        badge = next((b for b in badges if b.name.lower() == (name or "").lower()), None)
        if badge is None:
            return
        store = ctx.services.store
        message = f"{user}:{channel}:{ts}"

        async def explain_once(text: str) -> None:
            if await store.first_sighting(f"{KEEP_PREFIX}reaction-note:{message}"):
                await ctx.notifier.ephemeral(channel, user, text)

        if not author or author == user:
            await explain_once("Reacting to your own message gives nothing: badges go to others.")
            return
        profile = await ctx.directory.profile(author)
        if profile.is_bot:
            await explain_once("That message is from a bot, so no badge: badges go to people.")
            return
        if not await store.first_sighting(f"{KEEP_PREFIX}reaction:{message}"):
            await explain_once(
                "You already reacted with a badge emoji on this message, so I won't offer "
                "another one for it."
            )
            return
        value = json.dumps({"channel": channel, "ts": ts, "author": author, "badge": badge.id})
        await ctx.notifier.delivery.perform(
            {
                "kind": "ephemeral",
                "channel": channel,
                "user": user,
                "text": f"Give {escape(badge.name)} for this message?",
                "blocks": prompt_blocks(badge, author, value),
            }
        )

    return handle


def give_for_reaction(ctx: SlackContext) -> Callable[..., Any]:
    """**Give**: the normal give flow, once, with the message's link as the comment."""

    async def handle(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            value = json.loads(action.get("value") or "{}")
            channel, ts = str(value["channel"]), str(value["ts"])
            author, badge_id = str(value["author"]), str(value["badge"])
        except (ValueError, KeyError, TypeError):
            return  # not a button of ours
        user = body["user"]["id"]
        reply = replace_original(ctx.notifier, body, respond)
        key = f"{KEEP_PREFIX}reaction-give:{user}:{channel}:{ts}"
        if not await ctx.services.store.first_sighting(key):
            return  # a double click: the first one gives
        gone = "That badge no longer exists, so nothing was awarded."
        badge = await give_flow.picked_badge(ctx, badge_id, reply, gone)
        if badge is None:
            return
        comment = await message_comment(ctx, channel, ts)
        await give_flow.give(
            ctx,
            give_flow.GiveOrder(
                giver_id=user,
                user_ids=[author],
                groups=[],
                badge=badge,
                comment=comment,
                origin_channel=channel,
            ),
            reply,
        )

    return handle


async def message_comment(ctx: SlackContext, channel: str, ts: str) -> str:
    """ "For this message: <link> — “first words”", the words only when they fit."""
    client = ctx.notifier.client
    try:
        link = (await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"]
    except SlackApiError as exc:
        log.info("no permalink for a reacted message: %s", exc.response.get("error"))
        link = ""
    words = ""
    try:
        history = await client.conversations_history(
            channel=channel, latest=ts, inclusive=True, limit=1
        )
        messages = history.get("messages") or []
        if messages and messages[0].get("ts") == ts:
            words = " ".join(str(messages[0].get("text") or "").split())
    except SlackApiError as exc:
        log.info("no text for a reacted message: %s", exc.response.get("error"))
    comment = f"For this message: {link}" if link else "For a message in Slack"
    if words:
        comment += f" — “{truncate(words, FIRST_WORDS)}”"
    return comment
