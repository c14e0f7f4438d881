"""The App Home tab: your badges, your requests waiting, for approvers the queue, and for
admins the workspace's settings (and its Quantive connection, in distribution mode)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from api import errors
from api.models import Assignment
from bot.awards import Award
from handlers.slack.blocks import OPEN_GIVE_MODAL, Block, badge_emoji
from handlers.slack.connect import connection_blocks
from handlers.slack.context import SlackContext
from handlers.slack.digest_blocks import count_text, digest_item_blocks
from handlers.slack.mrkdwn import escape
from handlers.slack.settings_blocks import settings_summary_blocks

log = logging.getLogger(__name__)

MAX_HOME_BLOCKS = 100


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def home_blocks(
    holdings_lines: list[str],
    own_waiting: list[Award],
    queue: list[Award] | None,
    queue_total: int = 0,
) -> list[Block]:
    """The Home tab's blocks, within 100: the approver queue gets whatever room is left."""
    blocks: list[Block] = [
        _header("Your badges"),
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "\n".join(holdings_lines)[:2900] or "You don't hold any badges yet.",
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": OPEN_GIVE_MODAL,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Give a badge"},
                    "value": "home",
                }
            ],
        },
        {"type": "divider"},
        _header("Your requests waiting for approval"),
    ]
    if own_waiting:
        for view in own_waiting[:10]:
            blocks.append(digest_item_blocks(view)[0])
        if len(own_waiting) > 10:
            blocks.append(_context(f"…and {len(own_waiting) - 10} more."))
    else:
        blocks.append(_context("Nothing waiting."))
    if queue is not None:
        blocks += [{"type": "divider"}, _header(count_text(queue_total))]
        room = (MAX_HOME_BLOCKS - len(blocks) - 1) // 2
        for view in queue[:room]:
            blocks += digest_item_blocks(view)
        if queue_total > min(len(queue), room):
            blocks.append(
                _context(
                    f"…and {queue_total - min(len(queue), room)} more; `/badge pending` lists them."
                )
            )
        if not queue:
            blocks.append(_context("Nothing to approve. :sparkles:"))
    return blocks[:MAX_HOME_BLOCKS]


async def publish_home(
    ctx: SlackContext, user_id: str, pending: list[Assignment] | None = None
) -> None:
    """Build and publish one person's Home tab; ``pending`` saves refetching the queue
    when several tabs are refreshed at once."""
    services = ctx.services
    ctx.home_viewers.add(user_id)
    holdings_lines: list[str] = []
    own: list[Award] = []
    queue: list[Award] | None = None
    total = 0
    try:
        found, _ = await services.identities.resolve([await ctx.directory.profile(user_id)])
        if pending is None:
            pending = await services.awards.pending()
        if user_id in found:
            quantive_id = found[user_id].quantive_user_id
            for holding in await services.holdings.holdings_of(quantive_id):
                via = f" _(through {escape(holding.via_team)})_" if holding.via_team else ""
                holdings_lines.append(
                    f"{badge_emoji(holding.badge.icon)} *{escape(holding.badge.name)}*{via}"
                )
            own = await ctx.digest.views_for(
                [a for a in pending if a.assigned_by_id == quantive_id]
            )
        else:
            holdings_lines.append("I can't find you in Quantive by your email address.")
        if services.permissions.can_approve(user_id):
            total = len(pending)
            queue = await ctx.digest.views_for(pending[:45])
    except errors.QuantiveError as exc:
        holdings_lines = [f"Quantive is unavailable right now: {escape(exc.user_message)}"]
    blocks = home_blocks(holdings_lines, own, queue, total)
    if services.permissions.can_administer(user_id):
        extra = await _settings_blocks(ctx)
        if services.settings.distributed:
            extra += await _connection_blocks(ctx)
        blocks = blocks[: MAX_HOME_BLOCKS - len(extra)] + extra
    view = {"type": "home", "blocks": blocks}
    try:
        await ctx.notifier.client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("could not publish Home for %s: %s", user_id, exc.response.get("error"))


async def _settings_blocks(ctx: SlackContext) -> list[Block]:
    """An admin's view of the workspace's settings, as stored now."""
    editor = ctx.services.settings_editor
    if editor is None:  # services built outside bot.workspace_services (Socket Mode)
        return []
    try:
        return settings_summary_blocks(await editor.current())
    except Exception as exc:  # the rest of the tab is worth showing without it
        log.warning("could not read the settings: %s", type(exc).__name__)
        return []


async def _connection_blocks(ctx: SlackContext) -> list[Block]:
    """An admin's view of the workspace's Quantive connection (distribution mode)."""
    try:
        row = await ctx.services.store.connection()
    except Exception as exc:  # the rest of the tab is worth showing without it
        log.warning("could not read the Quantive connection: %s", type(exc).__name__)
        return []
    return connection_blocks(row) if row is not None else []


async def refresh_homes(ctx: SlackContext, view: Award) -> None:
    """Republish the Home tabs that show this award: approvers', the giver's, recipients'."""
    involved = {view.giver.chat_user_id, *(r.chat_user_id for r in view.recipients)}
    involved |= set(ctx.services.permissions.approvers)
    viewers = sorted(u for u in involved if u and u in ctx.home_viewers)
    if not viewers:
        return
    try:
        pending = await ctx.services.awards.pending()
    except errors.QuantiveError:
        pending = None  # each tab then says Quantive is unavailable
    for user_id in viewers:
        await publish_home(ctx, user_id, pending)
