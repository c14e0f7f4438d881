"""``/badge export [YYYY-MM-DD]`` (admins): the HR export as a CSV file in a DM, uploaded
with files.uploadV2 (scope ``files:write``). The command line streams the same rows to a
file (``python -m bot export``); a Slack file is built in memory, which is fine for the
sizes a DM carries."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError

from bot.export import day_start, write_export
from handlers.slack.commands.request import CommandRequest
from handlers.slack.mrkdwn import escape


async def export_command(req: CommandRequest) -> None:
    """Send the admin the awards given through the bot (since a date) as a CSV file."""
    services = req.ctx.services
    if not services.permissions.can_administer(req.user_id):
        await req.say("Only badge admins can export awards. Ask an approver if you need them.")
        return
    since_text = req.parsed.rest.strip()
    try:
        since = day_start(since_text)
    except ValueError:
        await req.say("Export since when? `/badge export 2026-01-01`, or no date for all.")
        return
    buffer = io.StringIO()
    count = await write_export(services.store, buffer, since=since)
    today = datetime.now(UTC).date().isoformat()
    window = f" since {since_text}" if since_text else ""
    client = req.ctx.notifier.client
    try:
        opened = await client.conversations_open(users=req.user_id)
        await client.files_upload_v2(
            channel=opened["channel"]["id"],
            filename=f"badgebot-awards-{today}.csv",
            title=f"Badge awards given through badgebot{window}",
            content=buffer.getvalue(),
            initial_comment=(
                f"{count} award{'s' if count != 1 else ''} given through badgebot{window}. "
                "Awards made in Quantive's web app are not in it: "
                "`python -m bot export --holders` lists who holds each badge."
            ),
        )
    except SlackApiError as exc:
        error = escape(str(exc.response.get("error") or "unknown error"))
        await req.say(
            f"I couldn't send the file: Slack said `{error}` (the app needs files:write)."
        )
        return
    await req.say(f"I've sent you the export ({count} award{'s' if count != 1 else ''}) in a DM.")
