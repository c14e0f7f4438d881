"""Independent effects of one event (each DM, each message update, the celebration): run
together, and one that fails is logged and never stops the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """One line about a failure, without a payload (payloads can hold user text)."""
    return f"{type(exc).__name__}: {exc}"


async def effects(
    todo: Mapping[str, Awaitable[Any]], describe_error: Callable[[BaseException], str] = describe
) -> dict[str, bool]:
    """Run the effects together; returns, by name, which ones succeeded (a queued retry
    counts as success)."""
    names = list(todo)
    results = await asyncio.gather(*todo.values(), return_exceptions=True)
    outcome: dict[str, bool] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, asyncio.CancelledError):
            raise result
        if isinstance(result, BaseException):
            log.warning("%s failed: %s", name, describe_error(result))
        outcome[name] = not isinstance(result, BaseException)
    return outcome
