"""The clock of a process that serves many workspaces: each has its own digest and recap
times (its settings), and workspaces connect while it runs. So rather than one scheduler
job per time, one tick a minute posts every workspace's digest and recap whose time came
since the last tick. A post is claimed once a day (or week) per channel in the store, so
a tick that runs twice, or two clock processes, never post twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from apscheduler.triggers.base import BaseTrigger

from bot.schedule import digest_trigger, recap_trigger
from bot.settings import Settings

log = logging.getLogger(__name__)

#: How far back the first tick looks: a clock restarted soon after a workspace's digest
#: time still posts it, as the single-workspace clock's misfire grace allows.
FIRST_LOOK_BACK = timedelta(hours=1)
TICK_SECONDS = 60.0


class WorkspaceJobs(Protocol):
    """One workspace's digest and recap on one platform (bot.cli.scheduled.PlatformJobs)."""

    name: str
    digest: Any
    recap: Any


def came_due(trigger: BaseTrigger, since: datetime, now: datetime) -> bool:
    """Whether ``trigger`` fired in (since, now]."""
    fire = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    return fire is not None and fire <= now


async def tick(jobs: list[WorkspaceJobs], since: datetime, now: datetime) -> list[str]:
    """Run every digest and recap that came due in (since, now]; the names run. One that
    fails is logged and never stops the others."""
    ran: list[str] = []
    for job in jobs:
        settings: Settings = job.digest.services.settings
        for what, trigger, runnable in (
            ("digest", digest_trigger(settings), job.digest),
            ("recap", recap_trigger(settings), job.recap),
        ):
            if not came_due(trigger, since, now):
                continue
            try:
                await runnable.run()
                ran.append(f"{what} {job.name}")
            except Exception as exc:  # one workspace's failure must not stop the others
                log.error("%s failed for %s: %s: %s", what, job.name, type(exc).__name__, exc)
    return ran


async def run_workspace_clock(
    jobs_now: Callable[[], Awaitable[list[Any]]],
    stop: asyncio.Event | None = None,
    *,
    now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    tick_seconds: float = TICK_SECONDS,
) -> None:
    """Tick until ``stop`` is set (or forever). Each tick asks ``jobs_now`` for every
    connected workspace's jobs, so new workspaces and changed times count; a tick that
    fails (the database is away) is tried again, from the same time, at the next."""
    stop = stop or asyncio.Event()
    since = now() - FIRST_LOOK_BACK
    log.info("clock started for every connected workspace")
    while not stop.is_set():
        current = now()
        try:
            await tick(await jobs_now(), since, current)
            since = current
        except Exception as exc:
            log.error("clock tick failed: %s: %s", type(exc).__name__, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick_seconds)
