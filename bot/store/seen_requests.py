"""Request ids already handled (a trigger_id or an event_id), so that a replay or an
Events API retry is recognised by every process sharing the database."""

from __future__ import annotations

import time

from sqlalchemy import delete

from bot.store.database import Database, inserted
from bot.store.tables import seen_requests


class SeenRequests(Database):
    """The ``seen_requests`` table."""

    async def first_sighting(self, key: str) -> bool:
        """True the first time ``key`` is seen; False for a replay.

        Keys must outlast Slack's signing window, so a replayed request is recognised for
        as long as its signature is accepted; :meth:`forget_sightings` drops older ones.
        """
        statement = (
            self._insert(seen_requests)
            .values(key=key, seen_at=time.time())
            .on_conflict_do_nothing()
        )
        async with self.connect() as conn:
            return await inserted(conn, statement, seen_requests.c.key)

    async def forget_sightings(self, older_than: float) -> None:
        """Drop request keys seen more than ``older_than`` seconds ago."""
        statement = delete(seen_requests).where(seen_requests.c.seen_at < time.time() - older_than)
        async with self.connect() as conn:
            await conn.execute(statement)
