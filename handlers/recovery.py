"""The web process's background jobs: deliver queued awards, retry queued Slack posts, and
finish decisions that a crash interrupted; then tell people what happened."""

from __future__ import annotations

import logging
import time

from bot.awards import AwardView
from bot.worker import Job, Worker
from handlers.blocks import badge_text, recipients_text
from handlers.context import SlackContext

log = logging.getLogger(__name__)


async def announce_delivered(ctx: SlackContext, view: AwardView) -> None:
    """Tell the giver a queued award went through, then carry on as a give would."""
    sentence = f"{badge_text(view)} for {recipients_text(view)}"
    if view.giver.chat_user_id:
        outcome = (
            "went through and is now waiting for approval"
            if view.status == "pending"
            else "went through and has been delivered"
        )
        await ctx.notifier.ephemeral(
            view.origin_channel,
            view.giver.chat_user_id,
            f":white_check_mark: Your queued award of {sentence} {outcome}.",
        )
    if view.status == "pending":
        await ctx.notifier.request_approval(view)
    else:
        await ctx.notifier.announce(view)


def recovery_jobs(ctx: SlackContext) -> list[Job]:
    """The jobs. A give or decision left half-done (its process died mid-call) is taken
    over only once it is older than OUTBOX_STALE_SECONDS, which exceeds the Quantive
    timeout: by then Quantive has either stored it or never will, so the check that
    precedes a retry cannot race the first call."""
    services = ctx.services
    stale_seconds = services.settings.outbox_stale_seconds

    def stale_before() -> float:
        return time.time() - stale_seconds

    async def deliver_queued_awards() -> None:
        cutoff = stale_before()
        for award in services.store.due_awards(time.time(), cutoff):
            if not services.store.take_award(award, cutoff):
                continue
            view = await services.awards.deliver_queued(award)
            if view is not None:
                services.holdings.invalidate()
                await announce_delivered(ctx, view)

    async def retry_slack_posts() -> None:
        await ctx.notifier.delivery.retry_due()

    async def finish_interrupted_decisions() -> None:
        for view in await services.awards.recover_decisions(stale_before()):
            log.info("finished the interrupted decision on %s", view.assignment_id)
            await ctx.notifier.after_decision(view)

    return [deliver_queued_awards, retry_slack_posts, finish_interrupted_decisions]


def start_worker(ctx: SlackContext) -> Worker:
    """Start the background worker in the running loop."""
    worker = Worker(recovery_jobs(ctx), ctx.services.settings.outbox_poll_seconds)
    worker.start()
    return worker
