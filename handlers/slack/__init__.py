"""The Slack listeners. ``register`` wires every command, action_id, callback_id and event
the bot answers; the logic of each listener lives in its own module."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack import admin_blocks, blocks
from handlers.slack.actions.admin import cancel_button, delete_button, revoke_button
from handlers.slack.actions.decisions import approve_button, reject_button
from handlers.slack.actions.give_button import give_for_message, open_give_modal
from handlers.slack.commands.badge import badge_command, default_subcommands
from handlers.slack.context import SlackContext
from handlers.slack.events.app_home import app_home_opened
from handlers.slack.events.reactions import GIVE_FOR_REACTION, give_for_reaction, reaction_added
from handlers.slack.options.badges import badge_options
from handlers.slack.views.badge_editor import badge_editor_submitted
from handlers.slack.views.give import give_submitted
from handlers.slack.views.reject import reject_submitted


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Attach every listener to ``app``."""
    app.command("/badge")(badge_command(ctx, default_subcommands()))

    app.action(blocks.APPROVE_ACTION)(approve_button(ctx))
    app.action(blocks.REJECT_ACTION)(reject_button(ctx))
    app.action(blocks.OPEN_GIVE_MODAL)(open_give_modal(ctx))
    app.action(admin_blocks.DELETE_BADGE_ACTION)(delete_button(ctx))
    app.action(admin_blocks.REVOKE_AWARD_ACTION)(revoke_button(ctx))
    app.action(admin_blocks.CANCEL_ACTION)(cancel_button(ctx))

    app.view(blocks.GIVE_MODAL)(give_submitted(ctx))
    app.view(blocks.REJECT_MODAL)(reject_submitted(ctx))
    app.view(admin_blocks.BADGE_EDITOR)(badge_editor_submitted(ctx))

    app.shortcut(blocks.GIVE_FOR_MESSAGE_SHORTCUT)(give_for_message(ctx))
    app.event("app_home_opened")(app_home_opened(ctx))
    app.event("reaction_added")(reaction_added(ctx))
    app.action(GIVE_FOR_REACTION)(give_for_reaction(ctx))

    app.options(blocks.BADGE_OPTIONS)(badge_options(ctx))
