"""The background worker of the web process: runs its jobs every few seconds, or at once
when woken, so queued awards and messages go out soon after the cause clears."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Worker:
    """Calls each job in turn, every ``interval`` seconds; one failing job does not stop it."""

    def __init__(self, jobs: list[Job], interval: float) -> None:
        self._jobs = jobs
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    def start(self) -> None:
        """Start the loop in the running event loop."""
        self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    def wake(self) -> None:
        """Run a round now rather than at the next tick."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> None:
        """One round of every job."""
        for job in self._jobs:
            try:
                await job()
            except Exception as exc:  # a bad round must not end the worker
                log.error(
                    "worker job %s failed: %s: %s",
                    getattr(job, "__name__", job),
                    type(exc).__name__,
                    exc,
                )
        self.rounds += 1

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
