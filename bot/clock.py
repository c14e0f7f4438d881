"""The clock process: every workspace's digest (DIGEST_DAYS at DIGEST_TIME) and weekly
recap (RECAP_TIME), each at its own times.

Workspaces connect, and admins change their times, while the clock runs; so rather than
one scheduler job per time, APScheduler runs one tick a minute, and each tick posts every
digest and recap whose cron time (bot.schedule's triggers, in the workspace's time zone)
came since the last tick. A post is claimed once a day (or week) per channel in the
store, so a tick that runs twice, or two clock processes, never post twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.schedule import digest_trigger, recap_trigger
from bot.settings import Settings

log = logging.getLogger(__name__)

#: How far back the first tick looks: a clock restarted soon after a digest's time still
#: posts it (the claims keep it from posting twice).
FIRST_LOOK_BACK = timedelta(hours=1)
TICK_SECONDS = 60.0
TICK_JOB_ID = "clock-tick"
#: How long a digest or recap that could not be posted is tried again, each tick.
RETRY_WINDOW = timedelta(hours=1)
#: How long a stop waits for a tick under way: within the 30 s a platform such as Heroku
#: leaves between SIGTERM and SIGKILL.
STOP_GRACE_SECONDS = 25.0


class WorkspaceJobs(Protocol):
    """One workspace's digest and recap on one platform (bot.cli.scheduled.PlatformJobs)."""

    name: str
    digest: Any  # bot.digest.DigestJob: its ``settings`` hold the workspace's times
    recap: Any


def came_due(trigger: BaseTrigger, since: datetime, now: datetime) -> bool:
    """Whether ``trigger`` fired in (since, now]."""
    fire = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    return fire is not None and fire <= now


async def tick(
    jobs: list[WorkspaceJobs],
    since: datetime,
    now: datetime,
    retry: dict[str, datetime] | None = None,
) -> list[str]:
    """Run every digest and recap that came due in (since, now], each by its own
    workspace's settings, and those in ``retry`` (name: when it first failed); the names
    of those that posted. One that fails, raising or with a channel it could not post
    to, is logged, never stops the others, and goes into ``retry`` to be run again at the
    next tick, for up to RETRY_WINDOW (its claims keep the posted channels from a repeat).
    """
    ran: list[str] = []
    retry = {} if retry is None else retry
    for job in jobs:
        settings: Settings = job.digest.settings
        for what, trigger, runnable in (
            ("digest", digest_trigger(settings), job.digest),
            ("recap", recap_trigger(settings), job.recap),
        ):
            name = f"{what} {job.name}"
            first_failed = retry.pop(name, None)
            again = first_failed is not None and now - first_failed < RETRY_WINDOW
            if not again and not came_due(trigger, since, now):
                continue
            try:
                report = await runnable.run()
            except Exception as exc:  # one workspace's failure must not stop the others
                log.error("%s failed for %s: %s: %s", what, job.name, type(exc).__name__, exc)
                retry[name] = first_failed or now
                continue
            failed = getattr(report, "failed", None)
            if failed:
                reasons = ", ".join(f"{channel}: {why}" for channel, why in failed.items())
                log.error(
                    "%s for %s not posted to %s; tried again next tick", what, job.name, reasons
                )
                retry[name] = first_failed or now
                continue
            ran.append(name)
    return ran


class Clock:
    """The ticks: each asks for every workspace's jobs afresh (``jobs_now``), so new
    workspaces and changed times count; a tick that fails (the database is away) is tried
    again at the next one, from the same time, so nothing due is skipped."""

    def __init__(
        self,
        jobs_now: Callable[[], Awaitable[list[Any]]],
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._jobs_now = jobs_now
        self._now = now
        self.since = now() - FIRST_LOOK_BACK
        #: The digests and recaps to try again, by name, with when each first failed.
        self.retry: dict[str, datetime] = {}
        #: Set while no tick runs, so that a stop can let the one under way finish.
        self.idle = asyncio.Event()
        self.idle.set()

    async def tick(self) -> list[str]:
        """One tick; the digests and recaps it ran."""
        current = self._now()
        self.idle.clear()
        try:
            ran = await tick(await self._jobs_now(), self.since, current, self.retry)
        except Exception as exc:
            log.error("clock tick failed: %s: %s", type(exc).__name__, exc)
            return []
        finally:
            self.idle.set()
        self.since = current
        return ran


async def run_clock(
    jobs_now: Callable[[], Awaitable[list[Any]]],
    stop: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
    *,
    tick_seconds: float = TICK_SECONDS,
) -> None:
    """Tick every ``tick_seconds`` (the first at once) until ``stop`` is set, or forever;
    ``started`` is set once the scheduler runs."""
    clock = Clock(jobs_now)
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        clock.tick,
        IntervalTrigger(seconds=tick_seconds, timezone=UTC),
        id=TICK_JOB_ID,
        next_run_time=datetime.now(UTC),
        coalesce=True,  # a slow tick is followed by one tick, not a burst
        max_instances=1,
        misfire_grace_time=int(tick_seconds),
    )
    scheduler.start()
    log.info("clock started: every workspace's digest and recap, checked each minute")
    if started is not None:
        started.set()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        # A tick under way is let finish before the scheduler's shutdown cancels it: a
        # digest it claimed and had not posted yet would be lost for the day (a claim is
        # never posted twice). Paused first, so no tick starts meanwhile.
        scheduler.pause()
        try:
            await asyncio.wait_for(clock.idle.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning("clock stopped in the middle of a tick")
        finally:  # cancelled while it waited, too
            scheduler.shutdown(wait=False)
