"""How many Slack requests are still being worked on, including the work after the ack.

Tests and the playground wait on it ("every listener has finished") instead of sleeping,
and a graceful shutdown could too. Thread-safe: tests wait from another thread.
"""

from __future__ import annotations

import threading


class InFlight:
    """A counter of unfinished work with a bounded wait for it to reach zero."""

    def __init__(self) -> None:
        self._count = 0
        self._cond = threading.Condition()

    def begin(self) -> None:
        """One more piece of work has started."""
        with self._cond:
            self._count += 1

    def end(self) -> None:
        """One piece of work has finished."""
        with self._cond:
            self._count = max(self._count - 1, 0)
            self._cond.notify_all()

    @property
    def count(self) -> int:
        """Work not finished yet."""
        with self._cond:
            return self._count

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is in flight; False if ``timeout`` seconds pass first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout=timeout)
