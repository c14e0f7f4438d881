"""Badge admins' commands in Teams (``delete Badge``, ``revoke @person Badge``) and the
confirm buttons that carry them out; the twins of handlers/slack/commands/admin.py and
handlers/slack/actions/admin.py. Creating and editing badges is handlers.teams.badge_editor's
card form."""

from __future__ import annotations

from typing import Any

from api import errors
from bot.awards import Award, award_key, is_plausible_id
from bot.identity import ChatProfile
from handlers.teams import cards
from handlers.teams.cards import DELETE_BADGE_VERB, REVOKE_VERB, run
from handlers.teams.command_parser import TeamsCommand
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.wording import unknown_badge_text


def may_administer(ctx: TeamsContext, profile: ChatProfile) -> bool:
    """Whether TEAMS_ADMINS (else TEAMS_APPROVERS) lists this person."""
    return ctx.services.permissions.can_administer(
        profile.user_id, platform="teams", aliases=profile.aliases
    )


async def delete_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Ask for confirmation before deleting the named badge."""
    if not may_administer(ctx, await ctx.directory.profile(turn.sender, turn.ref)):
        await ctx.reply(turn, "Only badge admins can delete badges.")
        return
    try:
        match = await ctx.services.catalogue.match(command.rest)
    except errors.QuantiveError as exc:
        await ctx.reply(turn, exc.user_message)
        return
    if match.badge is None:
        await ctx.reply(turn, unknown_badge_text(command.rest, match.suggestions, "delete"))
        return
    content = cards.confirm_card(
        [run("Delete the badge "), run(match.badge.name, bold=True), run("? Holders lose it.")],
        DELETE_BADGE_VERB,
        {"badge_id": match.badge.id},
        "Delete badge",
    )
    await ctx.say(turn, cards.card_message(content, f"Delete {match.badge.name}?"))


async def revoke_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Find the award of a badge to a person and ask before taking it back."""
    if not may_administer(ctx, await ctx.directory.profile(turn.sender, turn.ref)):
        await ctx.reply(turn, "Only badge admins can revoke badges.")
        return
    if len(command.users) != 1 or not command.rest:
        await ctx.reply(turn, "Say whose badge to revoke, e.g. revoke @Maria Visionary.")
        return
    target = command.users[0]
    try:
        match = await ctx.services.catalogue.match(command.rest)
        if match.badge is None:
            await ctx.reply(turn, unknown_badge_text(command.rest, match.suggestions, "revoke"))
            return
        profile = await ctx.directory.profile(target, turn.ref)
        found, missing = await ctx.services.identities.resolve([profile])
    except errors.QuantiveError as exc:
        await ctx.reply(turn, exc.user_message)
        return
    if missing:
        await ctx.reply(turn, f"I can't find {profile.name} in Quantive.")
        return
    quantive_id = found[target.user_id].quantive_user_id
    view = await ctx.services.awards.find_held_award(match.badge.id, quantive_id)
    if view is None:
        await ctx.reply(
            turn,
            f"I found no award of “{match.badge.name}” to {profile.name} given through "
            "badgebot. Awards made elsewhere can be revoked in Quantive.",
        )
        return
    content = cards.confirm_card(
        [run("Take "), run(match.badge.name, bold=True), run(f" back from {profile.name}?")],
        REVOKE_VERB,
        {"assignment_id": view.assignment_id, "assignee_id": quantive_id, "name": profile.name},
        "Revoke",
    )
    await ctx.say(turn, cards.card_message(content, "Revoke this badge?"))


async def delete_clicked(
    ctx: TeamsContext, profile: ChatProfile, data: dict[str, Any]
) -> dict[str, Any]:
    """Delete the badge once confirmed; the answer replaces the question."""
    if not may_administer(ctx, profile):
        return cards.message_response("Only badge admins can delete badges.")
    badge_id = str(data.get("badge_id") or "")
    if not is_plausible_id(badge_id):
        return cards.message_response("That button is no longer valid.")
    try:
        badge = await ctx.services.catalogue.by_id(badge_id)
        await ctx.services.quantive.delete_badge(badge_id)
    except errors.NotFound:
        return cards.card_response(cards.card([cards.note("That badge was already deleted.")]))
    except errors.QuantiveError as exc:
        return cards.message_response(f"Nothing was deleted. {exc.user_message}")
    ctx.services.catalogue.invalidate()
    ctx.services.holdings.invalidate()
    name = badge.name if badge else "The badge"
    return cards.card_response(
        cards.card([cards.rich(run("🗑️ "), run(name, bold=True), run(" was deleted."))])
    )


async def revoke_clicked(
    ctx: TeamsContext, profile: ChatProfile, data: dict[str, Any]
) -> dict[str, Any]:
    """Take the badge back once confirmed; the former holder is not pinged."""
    if not may_administer(ctx, profile):
        return cards.message_response("Only badge admins can revoke badges.")
    key = award_key(data.get("assignment_id"))
    assignee = data.get("assignee_id")
    if key is None or not is_plausible_id(assignee):
        return cards.message_response("That button is no longer valid.")
    view = await ctx.services.awards.award(key)
    if not isinstance(view, Award):
        return cards.message_response("I no longer know that award.")
    try:
        await ctx.services.awards.revoke(view, str(assignee))
    except errors.NotFound:
        return cards.card_response(cards.card([cards.note("That badge was already taken back.")]))
    except errors.QuantiveError as exc:
        return cards.message_response(f"Nothing changed. {exc.user_message}")
    ctx.services.holdings.invalidate()
    return cards.card_response(
        cards.card(
            [
                cards.rich(
                    run("Revoked "),
                    run(view.badge_name, bold=True),
                    run(f" from {data.get('name')}."),
                )
            ]
        )
    )
