"""``/badge digest [here|off]``: subscribe a channel to the morning digest, or ask about it."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.schedule import next_digest_time
from handlers.command_parser import ParsedCommand
from handlers.context import SlackContext
from handlers.mrkdwn import escape


async def digest_command(
    ctx: SlackContext,
    parsed: ParsedCommand,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """``here`` and ``off`` are for approvers; a bare ``digest`` says what is set up."""
    services = ctx.services
    channel = command["channel_id"]
    action = parsed.rest.strip().lower()

    async def say(text: str) -> None:
        await respond(text=text, response_type="ephemeral")

    if action in ("here", "on", "off", "stop"):
        if not services.permissions.can_approve(command["user_id"]):
            await say("Only approvers can change where the digest goes.")
            return
        if action in ("here", "on"):
            added = services.store.subscribe_digest(channel, command["user_id"])
            await say(
                f"This channel will get the digest of pending awards, {_schedule(ctx)}."
                if added
                else "This channel already gets the digest."
            )
        else:
            removed = services.store.unsubscribe_digest(channel)
            configured = channel in services.settings.digest_channels
            if configured:
                await say("This channel is listed in DIGEST_CHANNELS; ask an admin to remove it.")
            else:
                await say(
                    "The digest will no longer be posted here."
                    if removed
                    else "This channel was not subscribed."
                )
        return
    if action:
        await say(
            f"I don't know `/badge digest {escape(action)}`. "
            "Try `/badge digest here`, `/badge digest off` or `/badge digest`."
        )
        return
    channels = ctx.digest.channels()
    where = ", ".join(f"<#{c}>" for c in channels) if channels else "no channel yet"
    await say(
        f"The digest goes to {where}, {_schedule(ctx)}.\n"
        "Approvers can add this channel with `/badge digest here`."
    )


def _schedule(ctx: SlackContext) -> str:
    settings = ctx.services.settings
    upcoming = next_digest_time(settings)
    when = upcoming.strftime("%a %d %b at %H:%M %Z") if upcoming else "never"
    zone = settings.digest_timezone
    return f"{settings.digest_days} at {settings.digest_time} {zone} (next: {when})"
