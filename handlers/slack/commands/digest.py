"""``/badge digest [here|off]``: subscribe a channel to the morning digest, or ask about it."""

from __future__ import annotations

from bot.schedule import next_digest_time
from bot.settings import Settings
from handlers.slack.commands.request import CommandRequest
from handlers.slack.mrkdwn import escape


async def digest_command(req: CommandRequest) -> None:
    """``here`` and ``off`` are for approvers; a bare ``digest`` says what is set up."""
    services = req.ctx.services
    schedule = _schedule(services.settings)
    channel = req.channel_id or ""
    action = req.parsed.rest.strip().lower()
    say = req.say

    if action in ("here", "on", "off", "stop"):
        if not services.permissions.can_approve(req.user_id):
            await say("Only approvers can change where the digest goes.")
            return
        if action in ("here", "on"):
            added = await services.store.subscribe_digest(channel, req.user_id)
            await say(
                f"This channel will get the digest of pending awards, {schedule}."
                if added
                else "This channel already gets the digest."
            )
        else:
            removed = await services.store.unsubscribe_digest(channel)
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
    channels = await req.ctx.digest.channels()
    where = ", ".join(f"<#{c}>" for c in channels) if channels else "no channel yet"
    await say(
        f"The digest goes to {where}, {schedule}.\n"
        "Approvers can add this channel with `/badge digest here`."
    )


def _schedule(settings: Settings) -> str:
    upcoming = next_digest_time(settings)
    when = upcoming.strftime("%a %d %b at %H:%M %Z") if upcoming else "never"
    zone = settings.digest_timezone
    return f"{settings.digest_days} at {settings.digest_time} {zone} (next: {when})"
