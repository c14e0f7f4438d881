"""``export [week|month|quarter|year|all]`` in Teams (badge admins): the period's awards as
bot.export's spreadsheet-safe CSV, the twin of Slack's ``/badge export``.

A bot cannot attach a file to a Teams message. It asks with a file consent card (personal
chats only), Teams answers with a ``fileConsent/invoke``: on accept it carries an upload
URL in the person's OneDrive, where the bot PUTs the file, then it posts a file info card
that opens it. When the dashboard is on, its download (``/dashboard/export.csv``, behind
its sign-in) is the simpler way, and the command links to it instead.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

import httpx

from bot.export import write_export
from bot.leaderboard import BoardPeriod, period_start
from handlers.dashboard import dashboard_enabled
from handlers.teams import cards
from handlers.teams.admin import may_administer
from handlers.teams.command_parser import TeamsCommand
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.notifications import Unreachable

log = logging.getLogger(__name__)

FILE_CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
#: What ``export`` says with no period: the dashboard's default period too.
DEFAULT_PERIOD: BoardPeriod = "month"
#: Seconds the upload to OneDrive may take (the file is small; OneDrive may be slow).
UPLOAD_SECONDS = 30.0
#: The periods the dashboard's download knows (it has no "all").
DASHBOARD_PERIODS = ("week", "month", "quarter", "year")


def parse_export_period(text: str) -> BoardPeriod | None:
    """The period ``export`` names ("" is this month), or None when it names none."""
    word = (text or "").strip().lower() or DEFAULT_PERIOD
    return word if word in get_args(BoardPeriod) else None  # type: ignore[return-value]


def export_window(ctx: TeamsContext, period: BoardPeriod) -> tuple[float | None, float]:
    """The period as [since, until) timestamps in the workspace's time zone (until now)."""
    now = datetime.now(UTC)
    if period == "all":
        return None, now.timestamp()
    zone = ZoneInfo(ctx.settings.digest_timezone)
    return period_start(period, now, zone).timestamp(), now.timestamp()


async def export_csv(ctx: TeamsContext, since: float | None, until: float) -> tuple[bytes, int]:
    """The export's CSV as UTF-8 bytes (with a BOM, so Excel reads accents), and its rows."""
    out = io.StringIO()
    count = await write_export(ctx.services.store, out, since=since, until=until)
    return ("\ufeff" + out.getvalue()).encode(), count


def file_name(period: BoardPeriod) -> str:
    """The file's name: what it holds and when it was made."""
    return f"badgebot-awards-{period}-{datetime.now(UTC).date().isoformat()}.csv"


async def export_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Send an admin the period's awards: a link to the dashboard's download when it is
    on, else a file consent card in their 1:1 chat."""
    profile = await ctx.directory.profile(turn.sender, turn.ref)
    if not may_administer(ctx, profile):
        await ctx.reply(
            turn, "Only badge admins can export awards. Ask an approver if you need them."
        )
        return
    period = parse_export_period(command.rest)
    if period is None:
        await ctx.reply(turn, "Which period? export week, month, quarter, year or all.")
        return
    if dashboard_enabled(ctx.settings) and period in DASHBOARD_PERIODS:
        message = dashboard_link_message(ctx, period)
    else:
        since, until = export_window(ctx, period)
        content, count = await export_csv(ctx, since, until)
        message = file_consent_message(period, len(content), count, since, until)
    await _private(ctx, turn, message)


async def _private(ctx: TeamsContext, turn: Turn, message: dict[str, Any]) -> None:
    """Send to the person's 1:1 chat: a consent card works only there, and an export is
    not for a channel's eyes. Asked in a channel, the channel is told where it went (the
    person would otherwise see nothing happen where they typed)."""
    if turn.personal:
        await ctx.say(turn, message)
        return
    try:
        await ctx.notifier.dm(turn.sender.user_id, message)
        said = "I've sent you the export in our 1:1 chat."
    except Unreachable:
        said = "Write “export” to me in our 1:1 chat to get the file."
    await ctx.notifier.post(turn.ref, cards.text_message(said))


def dashboard_link_message(ctx: TeamsContext, period: BoardPeriod) -> dict[str, Any]:
    """A card with the dashboard's download for the period (it asks for sign-in)."""
    base = (ctx.settings.public_url or "").rstrip("/")
    url = f"{base}/dashboard/export.csv?period={period}"
    content = cards.card(
        [
            cards.heading(f"Badge awards: this {period}"),
            cards.note("Download the CSV from the dashboard (sign in with Microsoft)."),
        ],
        [{"type": "Action.OpenUrl", "title": "Download the CSV", "url": url}],
    )
    return cards.card_message(content, "Your badge awards export")


def file_consent_message(
    period: BoardPeriod, size: int, count: int, since: float | None, until: float
) -> dict[str, Any]:
    """The file consent card. Its context carries the window, not the file: the file is
    made again on accept, so nothing waits in memory for an answer that may never come."""
    when = "ever" if period == "all" else f"this {period}"
    window = {"export": period, "since": since, "until": until}
    return {
        "type": "message",
        "summary": "Your badge awards export",
        "attachments": [
            {
                "contentType": FILE_CONSENT_CARD,
                "name": file_name(period),
                "content": {
                    "description": (
                        f"{count} award{'s' if count != 1 else ''} given through badgebot "
                        f"{when} (CSV). Awards made in Quantive's web app are not in it."
                    ),
                    "sizeInBytes": size,
                    "acceptContext": window,
                    "declineContext": window,
                },
            }
        ],
    }


async def file_consent(ctx: TeamsContext, turn: Turn) -> dict[str, Any]:
    """``fileConsent/invoke``: answered at once (Teams waits on it); the upload and the
    file card come after."""
    value = turn.activity.get("value") or {}
    ctx.later(_consented(ctx, turn, value), "export upload")
    return {}


async def _consented(ctx: TeamsContext, turn: Turn, value: dict[str, Any]) -> None:
    # Who clicked is looked up after the answer: a cold directory can cost a connector call.
    profile = await ctx.directory.profile(turn.sender, turn.ref)
    consent_card = str(turn.activity.get("replyToId") or "")
    if value.get("action") != "accept":
        await _settle(ctx, turn, consent_card, "OK, I didn't send the export.")
        return
    # Checked again: the card may have waited while the person stopped being an admin.
    if not may_administer(ctx, profile):
        await _settle(ctx, turn, consent_card, "Only badge admins can export awards.")
        return
    context = value.get("context") if isinstance(value.get("context"), dict) else {}
    upload = value.get("uploadInfo") if isinstance(value.get("uploadInfo"), dict) else {}
    period = parse_export_period(str(context.get("export") or ""))
    url = str(upload.get("uploadUrl") or "")
    if period is None or not url.startswith(("https://", "http://")):
        await _settle(ctx, turn, consent_card, "That export is no longer valid. Send “export”.")
        return
    since, until = _number(context.get("since")), _number(context.get("until"))
    content, _ = await export_csv(ctx, since, until or datetime.now(UTC).timestamp())
    try:
        await upload_file(url, content)
    except httpx.HTTPError as exc:
        log.warning("Teams export upload failed: %s", type(exc).__name__)
        await _settle(
            ctx, turn, consent_card, "I couldn't upload the file to your OneDrive. Try again."
        )
        return
    await ctx.say(turn, file_info_message(upload))
    await _settle(ctx, turn, consent_card, "Here is your export.")


async def upload_file(url: str, content: bytes) -> None:
    """PUT the whole file to the upload URL Teams gave (one range: it is small). No token
    goes with it: the URL itself is the permission."""
    headers = {
        "Content-Length": str(len(content)),
        "Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}",
    }
    async with httpx.AsyncClient(timeout=UPLOAD_SECONDS) as client:
        answer = await client.put(url, content=content, headers=headers)
        answer.raise_for_status()


def file_info_message(upload: dict[str, Any]) -> dict[str, Any]:
    """The file info card that opens the uploaded file."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": FILE_INFO_CARD,
                "contentUrl": str(upload.get("contentUrl") or ""),
                "name": str(upload.get("name") or "badgebot-awards.csv"),
                "content": {
                    "uniqueId": str(upload.get("uniqueId") or ""),
                    "fileType": str(upload.get("fileType") or "csv"),
                },
            }
        ],
    }


async def _settle(ctx: TeamsContext, turn: Turn, consent_card: str, text: str) -> None:
    """Replace the consent card with what became of it, so it cannot be answered twice;
    said as a new message when there is no card to replace."""
    message = cards.text_message(text)
    if consent_card:
        await ctx.notifier.update(turn.ref.conversation_id, consent_card, message)
    else:
        await ctx.say(turn, message)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
