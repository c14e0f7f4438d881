"""In step with Quantive's web app: approvers also approve and reject there, so every
``QUANTIVE_SYNC_SECONDS`` one process (the holder of a lease in the database) reads
Quantive's approval queue and settles each award the bot knows that left it
(bot.awards.sync): its messages are redrawn, the giver and recipients are told as after a
click, and the record says it was decided in Quantive.

Cost: one paged read of the queue per interval (a hundred awards a page), whatever the
number of awards, and none while the bot knows of no waiting award; holders are read only
for badges whose awards left the queue.

An award must be missing from two reads in a row before it is settled. Quantive's lists
are paged by offset, so an award decided while the pages are read shifts the rest of the
list by one and may hide an award that still waits; the next read shows it again. An
award decided just after one read is thus settled at the second read after it, within two
intervals.
"""

from __future__ import annotations

import logging
import time
import uuid

from api import errors
from bot.awards import Award
from bot.ports import AwardNotices
from bot.services import Services
from bot.store import WaitingKey

log = logging.getLogger(__name__)

#: The lease's row in ``sync_leases``.
LEASE = "quantive-approval-queue"
#: How long after a click found an award gone (``handled``) the sync still looks for what
#: became of it; older ones were from before the sync, and nobody waits for news of them.
HANDLED_WINDOW = 24 * 3600.0


class QuantiveSync:
    """The sync job of one process; :meth:`run_due` is called on every worker round."""

    def __init__(self, services: Services, notices: AwardNotices | None = None) -> None:
        self._services = services
        self._told: AwardNotices = notices or services.notices
        #: Seconds between reads; 0 turns the sync off.
        self.interval = services.settings.quantive_sync_seconds
        #: The lease outlasts a round that waits the whole Quantive deadline, and runs out
        #: soon after its holder stops, so another process carries on.
        self.lease_seconds = 2 * self.interval + services.settings.quantive_timeout
        self._holder = uuid.uuid4().hex
        # The first read waits an interval too: a process starting (or many starting at
        # once, in a deploy) adds no read of its own.
        self._due = time.monotonic() + self.interval
        #: Queue ids of the known awards that the last read did not show.
        self._absent: set[str] = set()
        #: Records nothing can tell the outcome of: not read about again in this process.
        self._undecided: set[int] = set()
        #: Reads of the queue this process made.
        self.reads = 0

    @property
    def due(self) -> bool:
        """Whether an interval has passed since the last read (or the start)."""
        return self.interval > 0 and time.monotonic() >= self._due

    @property
    def next_due(self) -> float:
        """When (time.monotonic) the next read is due; infinity when the sync is off."""
        return self._due if self.interval > 0 else float("inf")

    async def run_due(self) -> list[Award]:
        """Sync if an interval has passed and this process holds the lease; returns the
        records settled. A workspace with no award waiting takes no lease (no write)."""
        if not self.due:
            return []
        self._due = time.monotonic() + self.interval
        store = self._services.store
        # The records are read before the lease (an idle workspace costs this one read and
        # no write), and before the queue, as sync_once needs them.
        known = await store.waiting_keys(time.time() - HANDLED_WINDOW)
        if not known:
            self._absent = set()
            return []
        if not await store.take_lease(LEASE, self._holder, self.lease_seconds):
            return []  # another process reads the queue for everyone
        return await self.sync_once(known)

    async def sync_once(self, known: list[WaitingKey] | None = None) -> list[Award]:
        """Read the queue once and settle what left it; returns the records settled.
        ``known`` are the waiting records when just read (else they are read here)."""
        services = self._services
        # The records first, then the queue: an award recorded as pending before the read
        # began was in the queue then, so a read that misses it shows it left (read the
        # other way round, an award made in between would look decided).
        if known is None:
            known = await services.store.waiting_keys(time.time() - HANDLED_WINDOW)
        if not known:
            self._absent = set()
            return []  # nothing to compare: an idle bot costs Quantive nothing
        try:
            queue = {a.id for a in await services.quantive.list_pending_approvals()}
        except errors.QuantiveError as exc:
            log.warning("could not read Quantive's approval queue; trying again later: %s", exc)
            return []
        self.reads += 1
        gone = [k for k in known if k.queue_id not in queue and k.record_id not in self._undecided]
        # A click saw a ``handled`` one gone already; a pending one must be missed twice.
        ready = [k for k in gone if k.status == "handled" or k.queue_id in self._absent]
        self._absent = {k.queue_id for k in gone if k.status == "pending"}
        if not ready:
            return []
        outcome = await services.awards.settle_from_quantive(ready)
        self._undecided |= outcome.undecided
        for award in outcome.settled:
            await self._told.decided(award)
        if outcome.settled:
            services.holdings.invalidate()  # top and mine count the approvals now
        return outcome.settled
