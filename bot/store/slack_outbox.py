"""Slack calls that failed and wait for a retry.

Each row is leased to one worker at a time with one atomic conditional UPDATE, so two
processes sharing the database never both retry one post; a worker that dies lets its
lease run out, and another takes the row.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from bot.store.database import Database, rowcount
from bot.store.tables import slack_outbox


@dataclass(frozen=True)
class SlackOperation:
    """A Slack call waiting to be retried."""

    id: int
    operation: dict[str, Any]
    attempts: int


_t = slack_outbox.c


class SlackOutbox(Database):
    """The ``slack_outbox`` table."""

    async def enqueue_slack(self, operation: dict[str, Any], delay: float, error: str) -> None:
        """Keep a failed Slack call to retry after ``delay`` seconds."""
        statement = insert(slack_outbox).values(
            operation=json.dumps(operation),
            attempts=1,
            next_attempt_at=time.time() + delay,
            last_error=error[:300],
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def due_slack(self, now: float, limit: int = 50) -> list[SlackOperation]:
        """Slack calls due for another try and not leased by a worker, oldest first."""
        query = (
            select(_t.id, _t.operation, _t.attempts)
            .where(_t.next_attempt_at <= now, _t.leased_until <= now)
            .order_by(_t.id)
            .limit(limit)
        )
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [SlackOperation(r.id, json.loads(r.operation), r.attempts) for r in rows]

    async def lease_slack(self, operation_id: int, seconds: float) -> bool:
        """Take a queued Slack call for ``seconds``; False when another worker holds it."""
        now = time.time()
        statement = (
            update(slack_outbox)
            .where(_t.id == operation_id, _t.leased_until <= now, _t.next_attempt_at <= now)
            .values(leased_until=now + seconds)
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement) == 1

    async def retry_slack_later(self, operation_id: int, delay: float, error: str) -> None:
        """Push a Slack call back after another failure."""
        statement = (
            update(slack_outbox)
            .where(_t.id == operation_id)
            .values(
                attempts=_t.attempts + 1,
                next_attempt_at=time.time() + delay,
                last_error=error[:300],
                leased_until=0,
            )
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def drop_slack(self, operation_id: int) -> None:
        """Forget a Slack call that went through (or can never go through)."""
        async with self.connect() as conn:
            await conn.execute(delete(slack_outbox).where(_t.id == operation_id))

    async def slack_queue_length(self) -> int:
        """How many Slack calls wait for a retry."""
        async with self.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(slack_outbox))).scalar_one()
            )
