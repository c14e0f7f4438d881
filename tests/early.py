"""Slow fixtures started in the background as soon as the tests are collected (when a
collected test needs them), so that their start overlaps the tests that run before them."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class EarlyStarts:
    """``begin`` starts a thing in a thread of its own; ``take`` waits for it (or starts
    it then, if nobody began it) and hands it over: the taker stops it. What was begun and
    never taken is stopped by ``stop_the_rest`` at the end of the session.

    Nothing started here may run migrations in this process: they set warning filters,
    which are process-wide and would race pytest's own around each test; a migration
    runs before ``begin`` (in the main thread) or after ``take``."""

    def __init__(self) -> None:
        self._begun: dict[str, tuple[concurrent.futures.Future[Any], Callable[[Any], None]]] = {}
        self._lock = threading.Lock()

    def begin(self, name: str, start: Callable[[], T], stop: Callable[[T], None]) -> None:
        with self._lock:
            if name in self._begun:
                return
            pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"early-{name}")
            self._begun[name] = (pool.submit(start), stop)
            pool.shutdown(wait=False)

    def take(self, name: str, start: Callable[[], T], timeout: float = 120.0) -> T:
        with self._lock:
            begun = self._begun.pop(name, None)
        if begun is None:
            return start()
        return begun[0].result(timeout)

    def stop_the_rest(self) -> None:
        with self._lock:
            begun, self._begun = self._begun, {}
        for future, stop in begun.values():
            try:
                thing = future.result(timeout=120)
            except Exception:
                continue  # it failed to start; nobody asked, so nobody needs to hear
            stop(thing)


EARLY = EarlyStarts()
