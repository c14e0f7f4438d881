"""Request ids already handled (a trigger_id or an event_id), so that a replay or an
Events API retry is recognised by every process sharing the database."""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, and_, delete, or_

from bot.store.database import Database
from bot.store.tables import seen_requests

#: Keys with this prefix are kept for KEEP_SECONDS rather than the replay window: facts
#: like "this person was already offered a badge for this message".
KEEP_PREFIX = "keep:"
KEEP_SECONDS = 90 * 86400


def old_sightings(now: float, older_than: float) -> ColumnElement[bool]:
    """Keys seen more than ``older_than`` seconds before ``now``, and ``keep:`` keys seen
    more than KEEP_SECONDS before it: what :meth:`SeenRequests.forget_sightings` and the
    worker's sweep of every workspace (bot.store.due_work) both drop."""
    t = seen_requests.c
    return or_(
        and_(~t.key.startswith(KEEP_PREFIX), t.seen_at < now - older_than),
        t.seen_at < now - KEEP_SECONDS,
    )


class SeenRequests(Database):
    """The ``seen_requests`` table."""

    async def first_sighting(self, key: str) -> bool:
        """True the first time ``key`` is seen; False for a replay.

        Keys must outlast Slack's signing window, so a replayed request is recognised for
        as long as its signature is accepted; :meth:`forget_sightings` drops older ones.
        """
        values = {"key": key, "seen_at": time.time()}
        return await self._insert_new(seen_requests, values, seen_requests.c.key)

    async def forget_sightings(self, older_than: float) -> None:
        """Drop request keys seen more than ``older_than`` seconds ago, and ``keep:`` keys
        seen more than KEEP_SECONDS ago."""
        statement = delete(seen_requests).where(
            self._mine(seen_requests), old_sightings(time.time(), older_than)
        )
        async with self.connect() as conn:
            await conn.execute(statement)
