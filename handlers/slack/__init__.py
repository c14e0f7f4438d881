"""The Slack listeners. ``register`` wires every command, action_id, callback_id and event
the bot answers; the logic of each listener lives in its own module."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack import admin_blocks, blocks
from handlers.slack.actions.admin import cancel_button, delete_button, revoke_button
from handlers.slack.actions.decisions import approve_button, reject_button
from handlers.slack.actions.give_button import give_for_message, open_give_modal
from handlers.slack.actions.settings import open_settings
from handlers.slack.commands.badge import badge_command, default_subcommands
from handlers.slack.connect import CONNECT_MODAL, CONNECT_OPEN, ConnectFlow
from handlers.slack.dispatch import per_workspace
from handlers.slack.events.app_home import app_home_opened
from handlers.slack.events.reactions import GIVE_FOR_REACTION, give_for_reaction, reaction_added
from handlers.slack.events.workflow_step import GIVE_BADGE_STEP, give_badge_step
from handlers.slack.options.badges import badge_options
from handlers.slack.settings_blocks import SETTINGS_MODAL, SETTINGS_OPEN
from handlers.slack.views.badge_editor import badge_editor_submitted
from handlers.slack.views.give import give_submitted
from handlers.slack.views.reject import reject_submitted
from handlers.slack.views.settings import settings_submitted


def register(app: AsyncApp, connect: ConnectFlow | None = None) -> None:
    """Attach every listener to ``app``; each runs with its request's workspace context
    (handlers.slack.workspace_contexts), which a middleware has found. ``connect`` is
    distribution mode's Connect Quantive flow, for workspaces not connected yet."""
    subcommands = default_subcommands()
    app.command("/badge")(per_workspace(lambda ctx: badge_command(ctx, subcommands)))

    app.action(blocks.APPROVE_ACTION)(per_workspace(approve_button))
    app.action(blocks.REJECT_ACTION)(per_workspace(reject_button))
    app.action(blocks.OPEN_GIVE_MODAL)(per_workspace(open_give_modal))
    app.action(admin_blocks.DELETE_BADGE_ACTION)(per_workspace(delete_button))
    app.action(admin_blocks.REVOKE_AWARD_ACTION)(per_workspace(revoke_button))
    app.action(admin_blocks.CANCEL_ACTION)(per_workspace(cancel_button))
    app.action(SETTINGS_OPEN)(per_workspace(open_settings))

    app.view(blocks.GIVE_MODAL)(per_workspace(give_submitted))
    app.view(blocks.REJECT_MODAL)(per_workspace(reject_submitted))
    app.view(admin_blocks.BADGE_EDITOR)(per_workspace(badge_editor_submitted))
    app.view(SETTINGS_MODAL)(per_workspace(settings_submitted))

    app.shortcut(blocks.GIVE_FOR_MESSAGE_SHORTCUT)(per_workspace(give_for_message))
    app.event("app_home_opened")(
        per_workspace(app_home_opened, connect.home if connect is not None else None)
    )
    if connect is not None:
        app.action(CONNECT_OPEN)(connect.open_form)
        app.view(CONNECT_MODAL)(connect.submitted)
    app.event("reaction_added")(per_workspace(reaction_added))
    app.action(GIVE_FOR_REACTION)(per_workspace(give_for_reaction))
    # Workflow Builder's "Give a badge" step: Bolt acks the function_executed event itself.
    app.function(GIVE_BADGE_STEP)(per_workspace(give_badge_step))

    app.options(blocks.BADGE_OPTIONS)(per_workspace(badge_options))
