"""``/badge give @user [@user2 ...] <badge> [comment]`` and its shorthand ``/badge @user ...``."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from api import errors
from handlers import blocks, give_flow
from handlers.command_parser import ParsedCommand
from handlers.commands.browse import mine_command
from handlers.context import SlackContext
from handlers.mrkdwn import escape
from handlers.replies import ephemeral_or_dm, respond_ephemeral


async def give_command(
    ctx: SlackContext,
    parsed: ParsedCommand,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Give at once when the command is complete; open the prefilled modal when a piece is
    missing; answer ephemerally with near matches when the badge name is unknown."""
    channel = command.get("channel_id")
    reply = respond_ephemeral(respond, ephemeral_or_dm(ctx.notifier, channel, command["user_id"]))
    if parsed.broadcasts or parsed.channels:
        await reply(
            "Badges go to people and teams, not to channels. Mention people with `@name`, "
            "or a user group such as `@platform`."
        )
        return
    has_recipients = bool(parsed.users or parsed.groups)
    if parsed.shorthand and len(parsed.users) == 1 and not parsed.groups and not parsed.rest:
        # "/badge @maria" asks what Maria holds.
        await mine_command(ctx, parsed, command, client, respond)
        return
    if not parsed.rest and not has_recipients:
        await client.views_open(
            trigger_id=command["trigger_id"], view=blocks.give_modal(channel_id=channel)
        )
        return
    try:
        match = await ctx.services.catalogue.match(parsed.rest)
    except errors.QuantiveError as exc:
        await reply(f"I couldn't load the badges. {escape(exc.user_message)}")
        return
    if match.badge is None and parsed.rest:
        hint = ""
        if match.suggestions:
            names = ", ".join(f"*{escape(n)}*" for n in match.suggestions)
            hint = f" Did you mean {names}?"
        first_words = escape(" ".join(parsed.rest.split()[:3]))
        await reply(
            f"I don't know a badge called “{first_words}”.{hint} "
            "`/badge list` shows every badge; put a name in quotes if it is long, "
            'e.g. `/badge give @maria "Team Player" thanks!`'
        )
        return
    if match.badge is None or not has_recipients:
        badge = (match.badge.id, match.badge.name) if match.badge else None
        await client.views_open(
            trigger_id=command["trigger_id"],
            view=blocks.give_modal(
                channel_id=channel,
                user_ids=parsed.users,
                badge=badge,
                comment=match.rest,
                notice="Who should get it?" if not has_recipients else None,
            ),
        )
        return
    await give_flow.give(
        ctx,
        giver_id=command["user_id"],
        user_ids=parsed.users,
        groups=parsed.groups,
        badge=match.badge,
        comment=match.rest,
        origin_channel=channel,
        reply=reply,
    )
