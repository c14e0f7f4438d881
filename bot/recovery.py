"""The core's background jobs: deliver queued awards, finish decisions that a crash
interrupted, retry the chat posts kept in the outbox, forget old request ids, and settle
the awards decided in Quantive's web app (bot.sync). A front
end registers its platform's sender with ``services.outbox``, and hears of outcomes
through :class:`bot.ports.AwardNotices`, subscribed to ``services.notices``."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.awards import QueuedOutcome
from bot.ports import AwardNotices
from bot.services import Services
from bot.sync import QuantiveSync
from bot.worker import Job

log = logging.getLogger(__name__)

#: How long request ids (trigger_id, event_id) are kept: well past Slack's 5-minute
#: signing window, so a replay is recognised for as long as its signature is accepted.
REPLAY_WINDOW = 3600.0


@dataclass
class CoreJobs:
    """One workspace's core jobs. :attr:`due` is the work a round does only when the
    store shows some due (bot.store.due_work); the sync runs on its own interval."""

    deliver_queued_awards: Job
    finish_interrupted_decisions: Job
    deliver_chat_posts: Job
    forget_old_request_ids: Job
    sync: QuantiveSync

    @property
    def due(self) -> list[Job]:
        """The jobs of work the store lists as due."""
        return [
            self.deliver_queued_awards,
            self.finish_interrupted_decisions,
            self.deliver_chat_posts,
        ]


def workspace_jobs(services: Services, notices: AwardNotices | None = None) -> CoreJobs:
    """The jobs. A give or decision left half-done (its process died mid-call) is taken
    over only once it is older than OUTBOX_STALE_SECONDS, which exceeds the Quantive
    deadline of every POST: by then its owner has certainly stopped waiting. Before a
    retry, the award is looked for, and looked for again once QUANTIVE_SETTLE_SECONDS have
    passed since it was sent (bot.awards.AwardService.deliver_queued)."""
    stale_seconds = services.settings.outbox_stale_seconds
    told: AwardNotices = notices or services.notices

    def stale_before() -> float:
        return time.time() - stale_seconds

    async def deliver_queued_awards() -> None:
        cutoff = stale_before()
        for queued in await services.store.due_awards(time.time(), cutoff):
            evidence = await services.awards.first_send_evidence(queued)
            lease = await services.store.take_award(queued, cutoff)
            if lease is None:
                log.info("outbox award %d: another worker has it", queued.id)
                continue
            result = await services.awards.deliver_queued(queued, lease, evidence)
            if result is None:
                continue
            if result.outcome is QueuedOutcome.DELIVERED:
                services.holdings.invalidate()
            await told.queued_result(result)

    async def finish_interrupted_decisions() -> None:
        # Every process runs this; each stale claim is taken by one of them, and only the
        # one that confirms it is handed the award, so each notice goes out once.
        for award in await services.awards.recover_decisions(stale_before()):
            log.info("finished the interrupted decision on %s", award.assignment_id)
            await told.decided(award)

    async def deliver_chat_posts() -> None:
        # Every platform's queued posts, in one job under one set of leases.
        await services.outbox.retry_due()

    async def forget_old_request_ids() -> None:
        # Off the ack path: each request only inserts its key.
        await services.store.forget_sightings(REPLAY_WINDOW)

    return CoreJobs(
        deliver_queued_awards,
        finish_interrupted_decisions,
        deliver_chat_posts,
        forget_old_request_ids,
        QuantiveSync(services, told),
    )


def core_jobs(services: Services, notices: AwardNotices | None = None) -> list[Job]:
    """Every core job, for a worker that runs them all each round (Socket Mode's, with
    its one workspace); the web process's round visits only the workspaces with work due
    (bot.workspace_jobs)."""
    jobs = workspace_jobs(services, notices)

    async def sync_with_quantive() -> None:
        # Every round; it reads the queue only once QUANTIVE_SYNC_SECONDS have passed.
        await jobs.sync.run_due()

    return [*jobs.due, jobs.forget_old_request_ids, sync_with_quantive]
