"""The Slack side of the web process's background jobs: how the core's outcomes are told
in Slack. Queued Slack posts are retried by the core's chat outbox job."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from bot.awards import Award, QueuedOutcome, QueuedResult, is_held
from bot.recovery import core_jobs
from bot.worker import Job, Worker
from handlers.slack.blocks import badge_text, recipients_text
from handlers.slack.context import SlackContext
from handlers.slack.home import refresh_homes
from handlers.slack.mrkdwn import escape
from handlers.slack.notifications import effects

log = logging.getLogger(__name__)


async def announce_queued_result(ctx: SlackContext, result: QueuedResult) -> None:
    """Tell the giver what became of a queued award, then carry on as a give would."""
    award = result.award
    held_made = result.outcome is QueuedOutcome.DELIVERED and is_held(award.assignment_id)
    if award.platform != "slack" and not held_made:
        return  # given in Teams: its giver hears there
    sentence = f"{badge_text(award)} for {recipients_text(award)}"
    giver = award.giver.chat_user_id
    if held_made:
        # A held award an approver approved while Quantive was away: now it is made.
        # Told as approved only when Quantive says so; otherwise it waits in its queue.
        if award.status == "approved":
            await ctx.notifier.after_decision(award)
    elif result.outcome is QueuedOutcome.DELIVERED:
        todo: dict[str, Awaitable[Any]] = {}
        if award.waiting:
            todo["approval requests"] = ctx.notifier.request_approval(award)
            outcome = "went through and is now waiting for approval"
        else:
            todo["announcement"] = ctx.notifier.announce(award)
            outcome = "went through and has been delivered"
        if giver:
            todo["giver's receipt"] = ctx.notifier.ephemeral(
                award.origin_channel,
                giver,
                f":white_check_mark: Your queued award of {sentence} {outcome}.",
            )
        await effects(todo)
    elif result.outcome is QueuedOutcome.REFUSED and giver:
        await ctx.notifier.ephemeral(
            award.origin_channel,
            giver,
            f":x: Your queued award of {sentence} was not made: {escape(result.error)}",
        )
    elif result.outcome is QueuedOutcome.UNKNOWN and giver:
        await ctx.notifier.ephemeral(
            award.origin_channel,
            giver,
            f":warning: Quantive never confirmed your award of {sentence}, and I can't tell "
            "whether it was made, so I did not send it again. Please look for it in "
            "Quantive's badges before you give it again.",
        )


class SlackAwardNotices:
    """bot.ports.AwardNotices for Slack: ephemeral receipts and the Notifier's messages."""

    def __init__(self, ctx: SlackContext) -> None:
        self._ctx = ctx

    async def queued_result(self, result: QueuedResult) -> None:
        """Tell the giver what became of a queued award, then carry on as a give would."""
        await announce_queued_result(self._ctx, result)

    async def decided(self, award: Award) -> None:
        """Redraw the award's messages and tell the people involved."""
        await effects(
            {
                "Slack messages": self._ctx.notifier.after_decision(award),
                "Home tabs": refresh_homes(self._ctx, award),
            }
        )


def slack_jobs(ctx: SlackContext) -> list[Job]:
    """The Slack front end's own background jobs: none now, since its queued posts are
    retried by the core's chat outbox job (SlackDelivery is registered as its sender)."""
    return []


def start_worker(ctx: SlackContext) -> Worker:
    """Subscribe Slack to the core's outcomes and start the worker with the core's jobs
    and Slack's (Socket Mode; the web app builds one worker for every front end)."""
    ctx.services.notices.subscribe(SlackAwardNotices(ctx))
    worker = Worker(
        [*core_jobs(ctx.services), *slack_jobs(ctx)], ctx.services.settings.outbox_poll_seconds
    )
    worker.start()
    return worker
