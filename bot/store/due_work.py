"""The worker's look across every workspace: which have work due now, in one query, so a
round visits only those (an idle workspace costs nothing per round), and the one sweep of
old request ids for all of them. The only queries besides the connections' list that
cross workspaces, on purpose: they decide where to look, and each workspace's own work is
then done through its scoped store."""

from __future__ import annotations

import time

from sqlalchemy import delete, select, union

from bot.store.award_outbox import awards_due
from bot.store.chat_outbox import posts_due
from bot.store.database import Database
from bot.store.decisions import stale_claims
from bot.store.seen_requests import old_sightings
from bot.store.tables import award_outbox, chat_outbox, decision_claims, seen_requests


class DueWork(Database):
    """Cross-workspace reads for the worker's round."""

    async def workspaces_with_due_work(self, now: float, stale_before: float) -> set[str]:
        """The workspaces with a give to try again (or one a dead process left mid-call),
        a chat post due, or a decision left unconfirmed since before ``stale_before``."""
        # Each table's own condition, as its module's queries ask it: the rows looked for
        # here are the rows each workspace's round then finds.
        query = union(
            select(award_outbox.c.workspace).where(awards_due(now, stale_before)),
            select(chat_outbox.c.workspace).where(posts_due(now)),
            select(decision_claims.c.workspace).where(stale_claims(stale_before)),
        )
        async with self.connect() as conn:
            return {row[0] for row in (await conn.execute(query)).all()}

    async def forget_sightings_everywhere(self, older_than: float) -> int:
        """Drop every workspace's request keys seen more than ``older_than`` seconds ago
        (``keep:`` keys after KEEP_SECONDS), in one statement; how many went."""
        statement = delete(seen_requests).where(old_sightings(time.time(), older_than))
        async with self.connect() as conn:
            result = await conn.execute(statement)
            return int(result.rowcount or 0)
