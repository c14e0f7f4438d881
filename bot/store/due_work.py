"""The worker's look across every workspace: which have work due now, in one query, so a
round visits only those (an idle workspace costs nothing per round), and the one sweep of
old request ids for all of them. The only queries besides the connections' list that
cross workspaces, on purpose: they decide where to look, and each workspace's own work is
then done through its scoped store."""

from __future__ import annotations

import time

from sqlalchemy import and_, delete, or_, select, union

from bot.store.award_outbox import _WAITING as _AWARDS_WAITING
from bot.store.chat_outbox import _WAITING as _POSTS_WAITING
from bot.store.database import Database
from bot.store.seen_requests import KEEP_PREFIX, KEEP_SECONDS
from bot.store.tables import award_outbox, chat_outbox, decision_claims, seen_requests


class DueWork(Database):
    """Cross-workspace reads for the worker's round."""

    async def workspaces_with_due_work(self, now: float, stale_before: float) -> set[str]:
        """The workspaces with a give to try again (or one a dead process left mid-call),
        a chat post due, or a decision left unconfirmed since before ``stale_before``."""
        a, c, d = award_outbox.c, chat_outbox.c, decision_claims.c
        query = union(
            select(a.workspace).where(
                or_(
                    a.state.in_(_AWARDS_WAITING) & (a.next_attempt_at <= now),
                    (a.state == "sending") & (a.updated_at < stale_before),
                )
            ),
            select(c.workspace).where(
                c.state.in_(_POSTS_WAITING), c.next_attempt_at <= now, c.leased_until <= now
            ),
            select(d.workspace).where(d.done_at.is_(None), d.claimed_at < stale_before),
        )
        async with self.connect() as conn:
            return {row[0] for row in (await conn.execute(query)).all()}

    async def forget_sightings_everywhere(self, older_than: float) -> int:
        """Drop every workspace's request keys seen more than ``older_than`` seconds ago
        (``keep:`` keys after KEEP_SECONDS), in one statement; how many went."""
        t = seen_requests.c
        now = time.time()
        statement = delete(seen_requests).where(
            or_(
                and_(~t.key.startswith(KEEP_PREFIX), t.seen_at < now - older_than),
                t.seen_at < now - KEEP_SECONDS,
            )
        )
        async with self.connect() as conn:
            result = await conn.execute(statement)
            return int(result.rowcount or 0)
