"""Administration: create, edit and delete badges, and revoke an award (admins only)."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from api import errors
from api.models import Badge
from handlers import blocks
from handlers.command_parser import ParsedCommand, parse_command
from handlers.commands.browse import unknown_badge_text
from handlers.context import SlackContext
from handlers.mrkdwn import escape


def _is_admin(ctx: SlackContext, command: dict[str, Any]) -> bool:
    return ctx.services.permissions.can_administer(command["user_id"])


async def _refuse(respond: AsyncRespond, what: str) -> None:
    await respond(
        text=f"Only badge admins can {what}. Ask an approver if something needs changing.",
        response_type="ephemeral",
    )


async def _admin_and_badge(
    ctx: SlackContext,
    parsed: ParsedCommand,
    command: dict[str, Any],
    respond: AsyncRespond,
    verb: str,
) -> Badge | None:
    """The badge an admin named exactly, or None after saying what is wrong."""
    if not _is_admin(ctx, command):
        await _refuse(respond, f"{verb} badges")
        return None
    try:
        match = await ctx.services.catalogue.match(parsed.rest)
    except errors.QuantiveError as exc:
        await respond(text=escape(exc.user_message), response_type="ephemeral")
        return None
    if match.badge is None or match.rest:
        await respond(
            text=unknown_badge_text(parsed.rest, match.suggestions, verb), response_type="ephemeral"
        )
        return None
    return match.badge


async def create_command(
    ctx: SlackContext,
    parsed: ParsedCommand,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Open the empty badge editor."""
    if not _is_admin(ctx, command):
        await _refuse(respond, "create badges")
        return
    await client.views_open(
        trigger_id=command["trigger_id"],
        view=blocks.badge_editor_modal(None, command.get("channel_id")),
    )


async def edit_command(
    ctx: SlackContext,
    parsed: ParsedCommand,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Open the badge editor prefilled with the named badge."""
    badge = await _admin_and_badge(ctx, parsed, command, respond, "edit")
    if badge is None:
        return
    await client.views_open(
        trigger_id=command["trigger_id"],
        view=blocks.badge_editor_modal(badge, command.get("channel_id")),
    )


async def delete_command(
    ctx: SlackContext,
    parsed: ParsedCommand,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Ask for confirmation before deleting the named badge."""
    badge = await _admin_and_badge(ctx, parsed, command, respond, "delete")
    if badge is None:
        return
    name = escape(badge.name)
    await respond(
        text=f"Delete {name}?",
        blocks=blocks.confirm_blocks(
            f"Delete the badge *{name}*? Everyone who holds it loses it.",
            blocks.DELETE_BADGE_ACTION,
            badge.id,
            "Delete badge",
        ),
        response_type="ephemeral",
    )


async def revoke_command(
    ctx: SlackContext,
    parsed: ParsedCommand,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Find the award of a badge to a person and ask for confirmation before taking it back."""
    if not _is_admin(ctx, command):
        await _refuse(respond, "revoke badges")
        return
    reparsed = parse_command("give " + parsed.rest)
    if len(reparsed.users) != 1 or not reparsed.rest:
        await respond(
            text="Say whose badge to revoke, e.g. `/badge revoke @maria Visionary`.",
            response_type="ephemeral",
        )
        return
    target = reparsed.users[0]
    try:
        match = await ctx.services.catalogue.match(reparsed.rest)
        if match.badge is None:
            await respond(
                text=unknown_badge_text(reparsed.rest, match.suggestions, "revoke"),
                response_type="ephemeral",
            )
            return
        profile = await ctx.directory.profile(target)
        found, missing = await ctx.services.identities.resolve([profile])
    except errors.QuantiveError as exc:
        await respond(text=escape(exc.user_message), response_type="ephemeral")
        return
    if missing:
        await respond(
            text=f"I can't find {escape(profile.name)} in Quantive.", response_type="ephemeral"
        )
        return
    quantive_id = found[target].quantive_user_id
    view = ctx.services.awards.find_held_award(match.badge.id, quantive_id)
    if view is None:
        await respond(
            text=f"I found no award of *{escape(match.badge.name)}* to {escape(profile.name)} "
            "given through badgebot. Awards made elsewhere can be revoked in Quantive.",
            response_type="ephemeral",
        )
        return
    # Named, not mentioned: the person losing the badge is not pinged.
    value = json.dumps(
        {
            "assignment_id": view.assignment_id,
            "assignee_id": quantive_id,
            "name": profile.name,
            "badge": match.badge.name,
        }
    )
    await respond(
        text="Revoke this badge?",
        blocks=blocks.confirm_blocks(
            f"Take *{escape(match.badge.name)}* back from {escape(profile.name)}?",
            blocks.REVOKE_AWARD_ACTION,
            value,
            "Revoke",
        ),
        response_type="ephemeral",
    )
