"""The ``/badge`` command: ack at once, then hand the parsed text to its subcommand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from api import errors
from handlers.slack.command_parser import parse_command
from handlers.slack.commands.admin import (
    create_command,
    delete_command,
    edit_command,
    revoke_command,
)
from handlers.slack.commands.browse import (
    list_command,
    mine_command,
    pending_command,
    top_command,
    who_command,
)
from handlers.slack.commands.digest import digest_command
from handlers.slack.commands.export import export_command
from handlers.slack.commands.give import give_command
from handlers.slack.commands.help import help_text, unknown_subcommand_text
from handlers.slack.commands.request import CommandRequest
from handlers.slack.context import SlackContext

Subcommand = Callable[[CommandRequest], Awaitable[None]]


async def help_command(req: CommandRequest) -> None:
    """Answer with every subcommand."""
    await req.say(help_text())


def badge_command(ctx: SlackContext, subcommands: dict[str, Subcommand]) -> Callable[..., Any]:
    """The ``/badge`` listener, dispatching on the first word."""

    async def handle(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        parsed = parse_command(command.get("text", ""))
        subcommand = subcommands.get(parsed.verb)
        if subcommand is None and await _starts_with_badge_name(ctx, command.get("text", "")):
            # "/badge Visionary for the plan": a give without recipients, so the modal opens.
            parsed = parse_command("give " + command.get("text", ""))
            subcommand = subcommands["give"]
        if subcommand is None:
            await respond(text=unknown_subcommand_text(parsed.verb), response_type="ephemeral")
            return
        await subcommand(CommandRequest(ctx, parsed, command, client, respond))

    return handle


async def _starts_with_badge_name(ctx: SlackContext, text: str) -> bool:
    try:
        return (await ctx.services.catalogue.match(text)).badge is not None
    except errors.QuantiveError:
        return False


def default_subcommands() -> dict[str, Subcommand]:
    """Every subcommand by its verb; the empty verb is a plain ``/badge``."""
    return {
        "": give_command,
        "give": give_command,
        "help": help_command,
        "list": list_command,
        "who": who_command,
        "mine": mine_command,
        "pending": pending_command,
        "top": top_command,
        "create": create_command,
        "edit": edit_command,
        "delete": delete_command,
        "revoke": revoke_command,
        "digest": digest_command,
        "export": export_command,
    }
