"""The web process's background jobs: deliver queued awards, retry queued Slack posts, and
finish decisions that a crash interrupted; then tell people what happened."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any

from bot.awards import QueuedOutcome, QueuedResult, is_held
from bot.worker import Job, Worker
from handlers.slack.blocks import badge_text, recipients_text
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape
from handlers.slack.notifications import effects
from handlers.slack.replays import REPLAY_WINDOW

log = logging.getLogger(__name__)


async def announce_queued_result(ctx: SlackContext, result: QueuedResult) -> None:
    """Tell the giver what became of a queued award, then carry on as a give would."""
    view = result.view
    sentence = f"{badge_text(view)} for {recipients_text(view)}"
    giver = view.giver.chat_user_id
    if result.outcome is QueuedOutcome.DELIVERED and is_held(view.assignment_id):
        # A held award an approver approved while Quantive was away: now it is made.
        await ctx.notifier.after_decision(view.model_copy(update={"status": "approved"}))
    elif result.outcome is QueuedOutcome.DELIVERED:
        todo: dict[str, Awaitable[Any]] = {}
        if view.status == "pending":
            todo["approval requests"] = ctx.notifier.request_approval(view)
            outcome = "went through and is now waiting for approval"
        else:
            todo["announcement"] = ctx.notifier.announce(view)
            outcome = "went through and has been delivered"
        if giver:
            todo["giver's receipt"] = ctx.notifier.ephemeral(
                view.origin_channel,
                giver,
                f":white_check_mark: Your queued award of {sentence} {outcome}.",
            )
        await effects(todo)
    elif result.outcome is QueuedOutcome.REFUSED and giver:
        await ctx.notifier.ephemeral(
            view.origin_channel,
            giver,
            f":x: Your queued award of {sentence} was not made: {escape(result.error)}",
        )
    elif result.outcome is QueuedOutcome.UNKNOWN and giver:
        await ctx.notifier.ephemeral(
            view.origin_channel,
            giver,
            f":warning: Quantive never confirmed your award of {sentence}, and I can't tell "
            "whether it was made, so I did not send it again. Please look for it in "
            "Quantive's badges before you give it again.",
        )


def recovery_jobs(ctx: SlackContext) -> list[Job]:
    """The jobs. A give or decision left half-done (its process died mid-call) is taken
    over only once it is older than OUTBOX_STALE_SECONDS, which exceeds the Quantive
    deadline of every POST: by then its owner has certainly stopped waiting. Before a
    retry, the award is looked for, and looked for again once QUANTIVE_SETTLE_SECONDS have
    passed since it was sent (bot.awards.AwardService.deliver_queued)."""
    services = ctx.services
    stale_seconds = services.settings.outbox_stale_seconds

    def stale_before() -> float:
        return time.time() - stale_seconds

    async def deliver_queued_awards() -> None:
        cutoff = stale_before()
        for award in await services.store.due_awards(time.time(), cutoff):
            if not await services.store.take_award(award, cutoff):
                continue
            result = await services.awards.deliver_queued(award)
            if result.outcome is QueuedOutcome.DELIVERED:
                services.holdings.invalidate()
            await announce_queued_result(ctx, result)

    async def retry_slack_posts() -> None:
        await ctx.notifier.delivery.retry_due()

    async def finish_interrupted_decisions() -> None:
        for view in await services.awards.recover_decisions(stale_before()):
            log.info("finished the interrupted decision on %s", view.assignment_id)
            await ctx.notifier.after_decision(view)

    async def forget_old_request_ids() -> None:
        # Off the ack path: each request only inserts its key.
        await services.store.forget_sightings(REPLAY_WINDOW)

    return [
        deliver_queued_awards,
        retry_slack_posts,
        finish_interrupted_decisions,
        forget_old_request_ids,
    ]


def start_worker(ctx: SlackContext) -> Worker:
    """Start the background worker in the running loop."""
    worker = Worker(recovery_jobs(ctx), ctx.services.settings.outbox_poll_seconds)
    worker.start()
    return worker
