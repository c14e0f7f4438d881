"""What the sync with Quantive's web app (bot.sync) keeps in the database: the lease that
lets one process at a time read the approval queue, the awards it compares with the queue,
and the settling of one award, which only one process can win.

A lease is one row per job, taken with one atomic statement: the first process inserts it,
and afterwards a conditional UPDATE moves it only when the holder renews it or its time
ran out, so two processes sharing the database never both hold it (as chat_outbox leases
its rows). A holder that dies lets it run out, and another process carries on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.store.award_recipients import replace_recipients
from bot.store.database import Database, inserted, rowcount
from bot.store.tables import awards, sync_leases

_a = awards.c
_l = sync_leases.c


@dataclass(frozen=True)
class WaitingKey:
    """An award the bot believes waits in (or just left) Quantive's queue: its record's
    row, its key in the bot, its id in Quantive's queue (they differ for an award the bot
    held), and its status (``pending``, or ``handled`` after a click found it gone)."""

    record_id: int
    assignment_id: str
    queue_id: str
    status: str


class SyncLeases(Database):
    """The ``sync_leases`` table, and the sync's reads and writes of ``awards``."""

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Hold the lease ``name`` for ``seconds`` more; False while another holds it."""
        now = time.time()
        first = (
            self._insert(sync_leases)
            .values(workspace=self.workspace, name=name, holder=holder, leased_until=now + seconds)
            .on_conflict_do_nothing()
        )
        renew = (
            update(sync_leases)
            .where(
                self._mine(sync_leases),
                _l.name == name,
                or_(_l.holder == holder, _l.leased_until <= now),
            )
            .values(holder=holder, leased_until=now + seconds)
        )
        async with self.connect() as conn:
            if await inserted(conn, first, _l.name):
                return True
            return await rowcount(conn, renew) == 1

    async def waiting_keys(self, handled_since: float) -> list[WaitingKey]:
        """The keys of every ``pending`` record with a Quantive id, and of the ``handled``
        ones settled since ``handled_since``: a few columns, so 10,000 waiting awards are
        one small read."""
        queue_id = func.coalesce(_a.quantive_assignment_id, _a.assignment_id)
        query = select(_a.id, _a.assignment_id, queue_id.label("queue_id"), _a.status).where(
            self._mine(awards),
            _a.assignment_id.is_not(None),
            _a.assignment_id != "",
            or_(
                _a.status == "pending",
                (_a.status == "handled") & (_a.decided_at >= handled_since),
            ),
        )
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            WaitingKey(int(r.id), str(r.assignment_id), str(r.queue_id), str(r.status))
            for r in rows
        ]

    async def settle_award(self, record_id: int, was: str, record: dict[str, Any]) -> bool:
        """Replace a record only if it is still in status ``was``; True when this call did.
        The one caller that moves it is the one that tells people."""
        values = {k: v for k, v in record.items() if k not in ("id", "workspace")}
        statement = (
            update(awards)
            .where(self._mine(awards), _a.id == record_id, _a.status == was)
            .values({**values, "updated_at": time.time()})
        )
        async with self.transaction() as conn:
            if await rowcount(conn, statement) != 1:
                return False
            await replace_recipients(conn, self.workspace, record_id)
            return True
