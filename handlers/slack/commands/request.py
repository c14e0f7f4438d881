"""One ``/badge`` invocation as its subcommand sees it, after the ack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.command_parser import ParsedCommand
from handlers.slack.context import SlackContext


@dataclass(frozen=True)
class CommandRequest:
    """What was typed, by whom and where, and the means to answer."""

    ctx: SlackContext
    parsed: ParsedCommand
    command: dict[str, Any]
    client: AsyncWebClient
    respond: AsyncRespond

    @property
    def user_id(self) -> str:
        """Who typed the command."""
        return str(self.command["user_id"])

    @property
    def channel_id(self) -> str | None:
        """Where it was typed."""
        return self.command.get("channel_id")

    async def say(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Answer privately, through the command's response_url."""
        await self.respond(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )

    async def open_modal(self, view: dict[str, Any]) -> None:
        """Open a modal with the command's trigger_id (it lives 3 seconds)."""
        await self.client.views_open(trigger_id=self.command["trigger_id"], view=view)
