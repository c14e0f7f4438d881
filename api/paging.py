"""Reading Quantive's lists to their end, page by page, and batching ids into filters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

log = logging.getLogger(__name__)

#: Quantive's default page (documented for ``GET /users``); also the ids per filter.
PAGE_SIZE = 100
#: The most items read from one list; beyond it a warning is logged.
MAX_LIST_ITEMS = 100_000

#: ``GET path`` with query parameters, answering the decoded body.
Get = Callable[[str, dict[str, str]], Awaitable[Any]]


async def read_list(
    get: Get,
    path: str,
    params: dict[str, str] | None = None,
    *,
    size_param: str = "take",
    page_size: int = PAGE_SIZE,
    max_items: int = MAX_LIST_ITEMS,
) -> list[Any]:
    """Every item of a list endpoint, read page by page.

    The first page tells the total and the server's real page size; the other pages
    are then asked for at once (the client's slots bound how many run together). A
    list without ``totalCount`` is read a page at a time until one comes back short.
    Stops at ``max_items`` with a warning, rather than read without end.
    """
    size = page_size

    async def page(skip: int) -> tuple[list[Any], int | None]:
        query = {**(params or {}), "skip": str(skip), size_param: str(size)}
        return _page(await get(path, query))

    items, total = await page(0)
    if total is None:
        skip = len(items)
        last = items
        while len(last) >= size and skip < max_items:
            last, _ = await page(skip)
            items += last
            skip += len(last)
    elif total > len(items) and items:
        stride = len(items)
        limit = min(total, max_items)
        rest = await asyncio.gather(*(page(s) for s in range(stride, limit, stride)))
        for more, _ in rest:
            items += more
    cut_short = len(items) >= max_items if total is None else total > max_items
    if cut_short:
        log.warning("quantive %s: stopped reading at %d items (total %s)", path, max_items, total)
        items = items[:max_items]
    return _unique(items)


def chunks(values: Sequence[str], size: int = PAGE_SIZE) -> Iterable[list[str]]:
    """``values`` in consecutive lists of at most ``size``: the ids one filter asks for."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _page(body: Any) -> tuple[list[Any], int | None]:
    """The items of one page, and the whole list's ``totalCount`` when the envelope has it."""
    if isinstance(body, list):
        return body, None
    if isinstance(body, dict):
        items = body.get("items") or []
        total = body.get("totalCount")
        if not isinstance(items, list):
            items = []
        return items, total if isinstance(total, int) and total >= 0 else None
    return [], None


def _unique(items: list[Any]) -> list[Any]:
    """Items in order, each id once: a list that shifts while it is paged repeats items."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.get("id") if isinstance(item, dict) else None
        if isinstance(key, str):
            if key in seen:
                continue
            seen.add(key)
        out.append(item)
    return out
