"""The Slack listeners. ``register`` wires every command, action_id, callback_id and event
the bot answers; the logic of each listener lives in its own module."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import blocks
from handlers.actions.decisions import approve_button, reject_button
from handlers.commands.badge import badge_command, default_subcommands
from handlers.context import SlackContext
from handlers.options.badges import badge_options
from handlers.views.give import give_submitted
from handlers.views.reject import reject_submitted


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Attach every listener to ``app``."""
    app.command("/badge")(badge_command(ctx, default_subcommands()))

    app.action(blocks.APPROVE_ACTION)(approve_button(ctx))
    app.action(blocks.REJECT_ACTION)(reject_button(ctx))

    app.view(blocks.GIVE_MODAL)(give_submitted(ctx))
    app.view(blocks.REJECT_MODAL)(reject_submitted(ctx))

    app.options(blocks.BADGE_OPTIONS)(badge_options(ctx))
