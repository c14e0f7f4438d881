"""Chat posts of either platform that failed and wait for a retry (or for a look).

The store is platform-neutral: a row holds the platform's operation as JSON, and the
front end that registered a sender for that platform knows what it means. Each row is
leased to one worker at a time with one atomic conditional UPDATE, so two processes
sharing the database never both retry one post; a worker that dies lets its lease run
out, and another takes the row. The idempotency key is unique within its platform: one
notice is one row, however many processes fail to send it.

States: ``queued`` (waiting), ``leased`` (a worker holds it), ``done`` (delivered, or
found already delivered), ``uncertain`` (no answer came and the platform cannot say
whether it was made: given up, never sent twice), ``failed`` (refused for good).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, func, select, update

from bot.store.database import Database, rowcount
from bot.store.tables import chat_outbox

#: The states a post ends in; finished rows are kept a while, for their keys and the log.
Finished = Literal["done", "uncertain", "failed"]
_WAITING = ("queued", "leased")


@dataclass(frozen=True)
class ChatPost:
    """A chat call waiting to be retried, or looked for."""

    id: int
    platform: str
    key: str
    operation: dict[str, Any]
    attempts: int
    #: The last try got no answer: the post may exist, so look before sending again.
    unanswered: bool
    #: When the first try started: a post made by a lost call is no older than this.
    created_at: float


_t = chat_outbox.c


def posts_due(now: float) -> ColumnElement[bool]:
    """The posts a worker may take now: waiting, due, and leased to nobody. Asked by
    :meth:`ChatOutbox.due_chat`, :meth:`ChatOutbox.lease_chat` and bot.store.due_work
    alike, so a workspace the worker visits for a post has that post to take."""
    return and_(_t.state.in_(_WAITING), _t.next_attempt_at <= now, _t.leased_until <= now)


class ChatOutbox(Database):
    """The ``chat_outbox`` table."""

    async def enqueue_chat(
        self,
        platform: str,
        key: str,
        operation: dict[str, Any],
        *,
        delay: float,
        error: str,
        unanswered: bool = False,
        started_at: float | None = None,
    ) -> bool:
        """Keep a failed chat call to retry (or look for) after ``delay`` seconds; False
        when a row with this idempotency key exists already (the notice is in hand)."""
        now = time.time()
        values = {
            "platform": platform,
            "idempotency_key": key,
            "operation": json.dumps(operation),
            "state": "queued",
            "unanswered": int(unanswered),
            "attempts": 1,
            "created_at": started_at if started_at is not None else now,
            "next_attempt_at": now + delay,
            "leased_until": 0,
            "updated_at": now,
            "last_error": error[:300],
        }
        return await self._insert_new(
            chat_outbox, values, _t.id, conflict=["workspace", "platform", "idempotency_key"]
        )

    async def due_chat(self, now: float, platforms: list[str], limit: int = 50) -> list[ChatPost]:
        """Calls of ``platforms`` due for another try and not leased, oldest first."""
        query = (
            select(chat_outbox)
            .where(self._mine(chat_outbox), _t.platform.in_(platforms), posts_due(now))
            .order_by(_t.id)
            .limit(limit)
        )
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            ChatPost(
                r.id,
                r.platform,
                r.idempotency_key,
                json.loads(r.operation),
                r.attempts,
                bool(r.unanswered),
                r.created_at,
            )
            for r in rows
        ]

    async def lease_chat(self, post_id: int, seconds: float) -> bool:
        """Take a queued call for ``seconds``; False when another worker holds it."""
        now = time.time()
        statement = (
            update(chat_outbox)
            .where(self._mine(chat_outbox), _t.id == post_id, posts_due(now))
            .values(state="leased", leased_until=now + seconds, updated_at=now)
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement) == 1

    async def retry_chat_later(
        self, post_id: int, delay: float, error: str, *, unanswered: bool
    ) -> None:
        """Push a call back after another failure, releasing its lease."""
        now = time.time()
        statement = (
            update(chat_outbox)
            .where(self._mine(chat_outbox), _t.id == post_id)
            .values(
                state="queued",
                attempts=_t.attempts + 1,
                unanswered=int(unanswered),
                next_attempt_at=now + delay,
                leased_until=0,
                updated_at=now,
                last_error=error[:300],
            )
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def finish_chat(self, post_id: int, state: Finished, error: str = "") -> None:
        """Close a call: delivered (or found), given up as uncertain, or refused."""
        values: dict[str, Any] = {"state": state, "leased_until": 0, "updated_at": time.time()}
        if error:
            values["last_error"] = error[:300]
        async with self.connect() as conn:
            statement = update(chat_outbox).where(self._mine(chat_outbox), _t.id == post_id)
            await conn.execute(statement.values(values))

    async def chat_post_state(self, platform: str, key: str) -> str | None:
        """The state of the call with this idempotency key, if one was ever queued."""
        async with self.connect() as conn:
            query = select(_t.state).where(
                self._mine(chat_outbox), _t.platform == platform, _t.idempotency_key == key
            )
            return (await conn.execute(query)).scalar_one_or_none()

    async def chat_queue_length(self, platform: str | None = None) -> int:
        """How many calls (of ``platform``, or of every platform) wait for a retry."""
        query = (
            select(func.count())
            .select_from(chat_outbox)
            .where(self._mine(chat_outbox), _t.state.in_(_WAITING))
        )
        if platform is not None:
            query = query.where(_t.platform == platform)
        async with self.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def forget_finished_chat(self, before: float) -> None:
        """Delete finished rows last touched before ``before``: their keys have served."""
        statement = delete(chat_outbox).where(
            self._mine(chat_outbox), _t.state.not_in(_WAITING), _t.updated_at < before
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def drop_queued_posts(self, platform: str) -> int:
        """Delete this workspace's unfinished posts of ``platform`` (queued, or leased to a
        worker) and say how many: the workspace uninstalled the bot, so no retry can reach
        it. Finished rows stay for their keys, as :meth:`forget_finished_chat` decides."""
        statement = delete(chat_outbox).where(
            self._mine(chat_outbox), _t.platform == platform, _t.state.in_(_WAITING)
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement)
