"""The worker's round over every connected workspace: the core's jobs (bot.recovery) and
each front end's, with that workspace's services and tokens.

A round asks the store once which workspaces have work due (bot.store.due_work) and
visits only those, so an idle workspace costs no query per round; each workspace's sync
with Quantive's queue runs on its own interval, and old request ids are swept for all
workspaces at once every minute. One workspace that fails (a revoked token, its Quantive
down) is logged and never stops the others.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from bot.recovery import REPLAY_WINDOW, CoreJobs, workspace_jobs
from bot.services import Services
from bot.worker import Job
from bot.workspace_services import NotConnected, Workspaces

log = logging.getLogger(__name__)

#: How often old request ids are swept, for every workspace in one statement.
SWEEP_SECONDS = 60.0


class FrontEnd(Protocol):
    """A chat front end's part of the round."""

    async def jobs_for(self, key: str) -> list[Job]:
        """Its jobs for workspace ``key`` (none when the workspace is another
        platform's); called before the workspace's jobs run, so it can hand its senders a
        fresh token."""
        ...


class EveryWorkspace:
    """One worker job that runs, in turn, the jobs of every workspace with work due."""

    def __init__(self, workspaces: Workspaces, front_ends: list[FrontEnd]) -> None:
        self._workspaces = workspaces
        self._front_ends = front_ends
        # The core's jobs hold state between rounds (the sync's last read), so they are
        # kept per services object and made anew only when a workspace's are rebuilt.
        self._core: dict[str, tuple[Services, CoreJobs]] = {}
        #: When each workspace's sync is next due (monotonic), known without its services.
        self._sync_at: dict[str, float] = {}
        self._sweep_at = 0.0
        self.__name__ = "every_workspace"

    async def __call__(self) -> None:
        """One round."""
        settings = self._workspaces.settings
        now = time.time()
        store = self._workspaces.store
        due = await store.workspaces_with_due_work(now, now - settings.outbox_stale_seconds)
        for key in await self._workspaces.connected():
            try:
                await self._round(key, key in due)
            except NotConnected:
                self._core.pop(key, None)
            except Exception as exc:  # one workspace's failure must not stop the others
                log.error("background round failed for %s: %s: %s", key, type(exc).__name__, exc)
        if time.monotonic() >= self._sweep_at:
            self._sweep_at = time.monotonic() + SWEEP_SECONDS
            await store.forget_sightings_everywhere(REPLAY_WINDOW)

    async def _round(self, key: str, due: bool) -> None:
        if not due and time.monotonic() < self._sync_at.get(key, 0.0):
            return  # idle, and its sync not due: not even its services are looked at
        services = await self._workspaces.services(key)
        kept = self._core.get(key)
        if kept is None or kept[0] is not services:
            kept = self._core[key] = (services, workspace_jobs(services))
        jobs = kept[1]
        sync_due = jobs.sync.due
        self._sync_at[key] = time.monotonic() + (0.0 if sync_due else max(jobs.sync.interval, 1.0))
        if not due and not sync_due:
            return
        front_jobs: list[Job] = []
        for front_end in self._front_ends:
            front_jobs += await front_end.jobs_for(key)  # also refreshes its tokens
        run: list[Job] = [*(jobs.due if due else []), *front_jobs]
        if sync_due:
            run.append(jobs.sync.run_due)
        for job in run:
            try:
                await job()
            except Exception as exc:  # a bad job must not stop the next one
                name = getattr(job, "__name__", job)
                log.error("worker job %s failed for %s: %s: %s", name, key, type(exc).__name__, exc)
        self._sync_at[key] = jobs.sync.next_due
