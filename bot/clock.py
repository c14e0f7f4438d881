"""The clock process: APScheduler jobs that post the digest on the configured days and the
weekly recap at RECAP_TIME."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.digest import DigestJob
from bot.recap import RecapJob
from bot.schedule import digest_trigger, recap_trigger
from bot.settings import Settings

log = logging.getLogger(__name__)

DIGEST_JOB_ID = "daily-digest"
RECAP_JOB_ID = "weekly-recap"


class _Runnable(Protocol):
    async def run(self) -> object: ...


def _schedule(
    scheduler: AsyncIOScheduler,
    job_id: str,
    trigger: BaseTrigger,
    jobs: Sequence[_Runnable],
    what: str,
) -> None:
    """Add one scheduler job, with an explicit id so a restart replaces rather than adds
    it, that runs each platform's job in turn; one failing does not stop the others."""

    async def run_each() -> None:
        for job in jobs:
            try:
                await job.run()
            except Exception as exc:  # one platform's failure must not stop the other
                log.error("%s failed: %s: %s", what, type(exc).__name__, exc)

    scheduler.add_job(
        run_each,
        trigger,
        id=job_id,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )


def schedule_digest(
    scheduler: AsyncIOScheduler, settings: Settings, jobs: Sequence[DigestJob]
) -> None:
    """The daily digest on DIGEST_DAYS at DIGEST_TIME, each platform's in turn."""
    _schedule(scheduler, DIGEST_JOB_ID, digest_trigger(settings), jobs, "digest")


def schedule_recap(
    scheduler: AsyncIOScheduler, settings: Settings, jobs: Sequence[RecapJob]
) -> None:
    """The weekly recap at RECAP_TIME, each platform's in turn."""
    _schedule(scheduler, RECAP_JOB_ID, recap_trigger(settings), jobs, "recap")


async def run_clock(
    settings: Settings,
    jobs: Sequence[DigestJob],
    stop: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
    *,
    recaps: Sequence[RecapJob] = (),
) -> None:
    """Run the scheduler inside this event loop until ``stop`` is set (or forever);
    ``started`` is set once the job is scheduled."""
    scheduler = AsyncIOScheduler(timezone=ZoneInfo(settings.digest_timezone))
    schedule_digest(scheduler, settings, jobs)
    if recaps:
        schedule_recap(scheduler, settings, recaps)
    scheduler.start()
    log.info("clock started; next digest at %s", scheduler.get_job(DIGEST_JOB_ID).next_run_time)
    if started is not None:
        started.set()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        scheduler.shutdown(wait=False)
