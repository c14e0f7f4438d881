"""Administration: create, edit and delete badges, and revoke an award (admins only)."""

from __future__ import annotations

import json

from api import errors
from api.models import Badge
from handlers.slack import admin_blocks
from handlers.slack.command_parser import parse_command
from handlers.slack.commands.browse import unknown_badge_text
from handlers.slack.commands.request import CommandRequest
from handlers.slack.mrkdwn import escape


async def _admin_only(req: CommandRequest, what: str) -> bool:
    """Whether the user may administer; if not, say so."""
    if req.ctx.services.permissions.can_administer(req.user_id):
        return True
    await req.say(f"Only badge admins can {what}. Ask an approver if something needs changing.")
    return False


async def _admin_and_badge(req: CommandRequest, verb: str) -> Badge | None:
    """The badge an admin named exactly, or None after saying what is wrong."""
    if not await _admin_only(req, f"{verb} badges"):
        return None
    try:
        match = await req.ctx.services.catalogue.match(req.parsed.rest)
    except errors.QuantiveError as exc:
        await req.say(escape(exc.user_message))
        return None
    if match.badge is None or match.rest:
        await req.say(unknown_badge_text(req.parsed.rest, match.suggestions, verb))
        return None
    return match.badge


async def create_command(req: CommandRequest) -> None:
    """Open the empty badge editor."""
    if not await _admin_only(req, "create badges"):
        return
    await req.open_modal(admin_blocks.badge_editor_modal(None, req.channel_id))


async def edit_command(req: CommandRequest) -> None:
    """Open the badge editor prefilled with the named badge."""
    badge = await _admin_and_badge(req, "edit")
    if badge is None:
        return
    await req.open_modal(admin_blocks.badge_editor_modal(badge, req.channel_id))


async def delete_command(req: CommandRequest) -> None:
    """Ask for confirmation before deleting the named badge."""
    badge = await _admin_and_badge(req, "delete")
    if badge is None:
        return
    name = escape(badge.name)
    await req.say(
        f"Delete {name}?",
        blocks=admin_blocks.confirm_blocks(
            f"Delete the badge *{name}*? Everyone who holds it loses it.",
            admin_blocks.DELETE_BADGE_ACTION,
            badge.id,
            "Delete badge",
        ),
    )


async def revoke_command(req: CommandRequest) -> None:
    """Find the award of a badge to a person and ask for confirmation before taking it back."""
    if not await _admin_only(req, "revoke badges"):
        return
    reparsed = parse_command("give " + req.parsed.rest)
    if len(reparsed.users) != 1 or not reparsed.rest:
        await req.say("Say whose badge to revoke, e.g. `/badge revoke @maria Visionary`.")
        return
    target = reparsed.users[0]
    try:
        match = await req.ctx.services.catalogue.match(reparsed.rest)
        if match.badge is None:
            await req.say(unknown_badge_text(reparsed.rest, match.suggestions, "revoke"))
            return
        profile = await req.ctx.directory.profile(target)
        found, missing = await req.ctx.services.identities.resolve([profile])
    except errors.QuantiveError as exc:
        await req.say(escape(exc.user_message))
        return
    if missing:
        await req.say(f"I can't find {escape(profile.name)} in Quantive.")
        return
    quantive_id = found[target].quantive_user_id
    view = await req.ctx.services.awards.find_held_award(match.badge.id, quantive_id)
    if view is None:
        await req.say(
            f"I found no award of *{escape(match.badge.name)}* to {escape(profile.name)} "
            "given through badgebot. Awards made elsewhere can be revoked in Quantive."
        )
        return
    if view.made_in_quantive is None:
        # Recognised by its holders only: Quantive never said its id, and the bot makes
        # none up, so there is nothing it could ask Quantive to delete.
        await req.say(
            f"I know {escape(profile.name)} got *{escape(match.badge.name)}* through badgebot, "
            "but not the award's id in Quantive, so I can't take it back from here. Revoke "
            "it in Quantive's web app: their profile, Badges."
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
    await req.say(
        "Revoke this badge?",
        blocks=admin_blocks.confirm_blocks(
            f"Take *{escape(match.badge.name)}* back from {escape(profile.name)}?",
            admin_blocks.REVOKE_AWARD_ACTION,
            value,
            "Revoke",
        ),
    )
