"""``settings`` in Teams: a badge admin's form of the workspace's settings (the twin of
Slack's Home tab section and modal), and its Save button.

The button's invoke is answered while the admin waits (handlers.teams.app answers every
invoke within ANSWER_WITHIN): the fields are first checked against the services'
settings with no database call, so problems come back at once, under their fields; then
the change is saved (bot.workspace_settings checks it again against the stored values),
and takes effect from the next activity, in this process at once.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.identity import ChatProfile
from bot.workspace_settings import Current, as_built, check, current_or_built
from handlers.teams import cards
from handlers.teams.admin import may_administer
from handlers.teams.command_parser import TeamsCommand
from handlers.teams.connect import identity_of
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.directory import is_plausible_teams_id
from handlers.teams.notifications import Unreachable
from handlers.teams.settings_card import (
    TEAMS_EDITABLE,
    card_changes,
    saved_card,
    settings_card,
)

log = logging.getLogger(__name__)

NOT_ADMIN = "Only badgebot's admins can change its settings; nothing was changed."
SETTINGS_SUMMARY = "badgebot settings"


def who_administers(ctx: TeamsContext) -> str:
    """The sentence a non-admin gets: who can change the settings (TEAMS_ADMINS, else
    the approvers), by the emails or ids they are listed by."""
    settings = ctx.services.settings
    admins = settings.teams_admins or settings.teams_approvers
    if not admins:
        return "Only badgebot's admins can change its settings, and none are set up yet."
    return f"Only badgebot's admins can change its settings. Ask one of them: {', '.join(admins)}."


async def settings_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """``settings``: the form for admins, in their 1:1 chat (it lists people's emails,
    which a channel's members need not see); who can, for the others."""
    profile = await ctx.directory.profile(turn.sender, turn.ref)
    if ctx.services.settings_editor is None or not may_administer(ctx, profile):
        await ctx.reply(turn, who_administers(ctx))
        return
    message = cards.card_message(
        settings_card(
            await current_or_built(
                ctx.services.settings, ctx.services.settings_editor, TEAMS_EDITABLE
            )
        ),
        SETTINGS_SUMMARY,
    )
    if turn.personal:
        await ctx.say(turn, message)
        return
    try:
        await ctx.notifier.dm(turn.sender.user_id, message)
    except Unreachable:
        await ctx.say(
            turn, cards.text_message("Send “settings” to me in our 1:1 chat to change them.")
        )
        return
    await ctx.say(turn, cards.text_message("I sent you the settings in our 1:1 chat."))


async def settings_submitted(
    ctx: TeamsContext, turn: Turn, profile: ChatProfile, data: dict[str, Any]
) -> dict[str, Any]:
    """The form's Save: refuse anyone but an admin (a forged click changes nothing), show
    the fields' problems, else save and replace the form with what is set now."""
    editor = ctx.services.settings_editor
    # Checked on the server: a forged invoke reaches here without the card.
    if editor is None or not may_administer(ctx, profile):
        log.info("refused a Teams settings change by someone not an admin")
        return cards.message_response(NOT_ADMIN)
    changes = card_changes(data)
    by = identity_of(profile) or profile.user_id
    aliases = (profile.user_id, *profile.aliases)
    defaults = editor.workspaces.settings
    _, problems = check(
        changes, ctx.services.settings, defaults, by, platform="teams", aliases=aliases
    )
    if problems:
        return _answer(ctx, turn, settings_card(_as_built(ctx), changes, problems))
    try:
        said = await editor.save(changes, by, platform="teams", aliases=aliases)
    except Exception as exc:  # the admin is told; the error's kind is logged
        log.error("could not save the Teams settings: %s", type(exc).__name__)
        return cards.message_response("The settings could not be saved just now; try again.")
    if said:
        # Stored values changed since these services were built: the sentences are
        # whole-form ones (the check names no field here), shown atop the form.
        problems = {"": " ".join(said)}
        return _answer(ctx, turn, settings_card(_as_built(ctx), changes, problems))
    log.info("%s changed the settings of %s: %s", profile.user_id, editor.key, sorted(changes))
    return _answer(ctx, turn, saved_card(await editor.current()))


def _as_built(ctx: TeamsContext) -> list[Current]:
    """The Teams card's values as these services have them, with no database call."""
    return as_built(ctx.services.settings, ctx.services.settings_editor, TEAMS_EDITABLE)


def _answer(ctx: TeamsContext, turn: Turn, content: cards.Card) -> dict[str, Any]:
    """Answer with ``content`` for the admin who clicked, and replace the posted card too:
    an answer that came after ANSWER_WITHIN reaches them only so."""
    posted = turn.activity.get("replyToId")
    if is_plausible_teams_id(posted):
        message = cards.card_message(content, SETTINGS_SUMMARY)
        ref = turn.ref
        ctx.later(
            ctx.connector.update(ref.service_url, ref.conversation_id, posted, message),
            "settings card update",
        )
    return cards.card_response(content)
