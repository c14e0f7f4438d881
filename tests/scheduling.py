"""The order modules are handed to pytest-xdist's workers in (make test runs two, each
module on one worker): the slowest first, by the seconds each took in the last run, so
that no long module (the browser's, the real processes') starts last and runs alone.

A serial run keeps pytest's own order. The seconds are kept in pytest's cache; with none
yet, modules keep their collection order."""

from __future__ import annotations

import collections

import pytest

CACHE_KEY = "badgebot/module-seconds"


def module_of(nodeid: str) -> str:
    """The test file of a test's node id."""
    return nodeid.split("::", 1)[0]


def distributed(config: pytest.Config) -> bool:
    """Whether the tests are handed out to xdist workers (``-n`` with a worker count)."""
    return bool(getattr(config.option, "numprocesses", None)) or hasattr(config, "workerinput")


def slowest_modules_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Sort ``items`` by their module's seconds last time, slowest first; a stable sort,
    so each module's tests stay together and in their order."""
    cache = getattr(config, "cache", None)  # none with -p no:cacheprovider
    if not distributed(config) or cache is None:
        return
    seconds: dict[str, float] = cache.get(CACHE_KEY, {})
    items.sort(key=lambda item: -seconds.get(module_of(item.nodeid), 0.0))


class ModuleSeconds:
    """Adds up each module's seconds from the test reports (on the controller, which sees
    every worker's) and keeps them in the cache at the end of a complete run."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()

    def add(self, report: pytest.TestReport) -> None:
        self.seconds[module_of(report.nodeid)] += report.duration

    def save(self, session: pytest.Session) -> None:
        config = session.config
        cache = getattr(config, "cache", None)
        if hasattr(config, "workerinput") or cache is None or not self.seconds:
            return  # a worker's share, no cache, or nothing ran
        kept: dict[str, float] = cache.get(CACHE_KEY, {})
        kept.update({name: round(s, 2) for name, s in self.seconds.items()})
        cache.set(CACHE_KEY, kept)


MODULE_SECONDS = ModuleSeconds()
