"""The worker's round over every connected workspace: the core's jobs (bot.recovery) and
each front end's, with that workspace's services and tokens. One workspace that fails (a
revoked token, its Quantive down) is logged and never stops the others."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.recovery import core_jobs
from bot.services import Services
from bot.worker import Job
from bot.workspace_services import NotConnected, Workspaces

log = logging.getLogger(__name__)


class FrontEnd(Protocol):
    """A chat front end's part of the round."""

    async def jobs_for(self, key: str) -> list[Job]:
        """Its jobs for workspace ``key`` (none when the workspace is another
        platform's); called every round, so it can hand its senders a fresh token."""
        ...


class EveryWorkspace:
    """One worker job that runs every connected workspace's jobs in turn."""

    def __init__(self, workspaces: Workspaces, front_ends: list[FrontEnd]) -> None:
        self._workspaces = workspaces
        self._front_ends = front_ends
        # The core's jobs hold state between rounds (the sync's last run), so they are
        # kept per services object and made anew only when a workspace's are rebuilt.
        self._core: dict[str, tuple[Services, list[Job]]] = {}
        self.__name__ = "every_workspace"

    async def __call__(self) -> None:
        """One round of every workspace."""
        for key in await self._workspaces.connected():
            try:
                await self._round(key)
            except NotConnected:
                self._core.pop(key, None)
            except Exception as exc:  # one workspace's failure must not stop the others
                log.error("background round failed for %s: %s: %s", key, type(exc).__name__, exc)

    async def _round(self, key: str) -> None:
        services = await self._workspaces.services(key)
        front_jobs: list[Job] = []
        for front_end in self._front_ends:
            front_jobs += await front_end.jobs_for(key)
        kept = self._core.get(key)
        if kept is None or kept[0] is not services:
            kept = self._core[key] = (services, core_jobs(services))
        for job in [*kept[1], *front_jobs]:
            try:
                await job()
            except Exception as exc:  # a bad job must not stop the next one
                name = getattr(job, "__name__", job)
                log.error("worker job %s failed for %s: %s: %s", name, key, type(exc).__name__, exc)
