"""The award outbox: every accepted give is written here before Quantive is called, and
stays until Quantive shows it (see bot.awards for the evidence rule).

A row is worked by one process at a time. Taking a row is one conditional UPDATE (state
and age in the WHERE clause), which is atomic on SQLite and on PostgreSQL alike; a row
whose process died stays ``sending`` until it is stale, then any worker takes it over.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, func, or_, select, update

from bot.store.database import Database, rowcount
from bot.store.tables import award_outbox


@dataclass(frozen=True)
class OutboxAward:
    """An accepted give as kept in the outbox until Quantive has it.

    ``sent_at`` is when its assign request last went out (None: never); ``evidence`` is
    what was known before sending, to recognise the award later (see bot.awards);
    ``answered`` says Quantive answered that request (a 5xx), so it is done with it.
    """

    id: int
    state: str
    request: dict[str, Any]
    attempts: int
    sent_at: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    answered: bool = False


_t = award_outbox.c
_ROW = select(_t.id, _t.state, _t.request, _t.attempts, _t.sent_at, _t.evidence, _t.answered)
_WAITING = ("queued", "uncertain")


def _stale_sending(stale_before: float) -> ColumnElement[bool]:
    """A ``sending`` row whose process died mid-call: untouched since ``stale_before``."""
    return (_t.state == "sending") & (_t.updated_at < stale_before)


def awards_due(now: float, stale_before: float) -> ColumnElement[bool]:
    """The rows to try again now: waiting ones that are due, and stale ``sending`` ones.
    :meth:`AwardOutbox.due_awards` and bot.store.due_work both ask this, so the worker's
    look across workspaces finds exactly the rows a workspace's round then works."""
    return or_(_t.state.in_(_WAITING) & (_t.next_attempt_at <= now), _stale_sending(stale_before))


def _outbox_award(row: Row[Any]) -> OutboxAward:
    return OutboxAward(
        row.id,
        row.state,
        json.loads(row.request),
        row.attempts,
        row.sent_at,
        json.loads(row.evidence or "{}"),
        bool(row.answered),
    )


class AwardOutbox(Database):
    """The ``award_outbox`` table."""

    async def release_held(self, award_id: int, state: str) -> bool:
        """Move a held award on, to ``sending`` (approved) or ``rejected``; False when it
        is no longer held, so two decisions can never both act on it."""
        statement = (
            update(award_outbox)
            .where(self._mine(award_outbox), _t.id == award_id, _t.state == "held")
            .values(state=state, attempts=_t.attempts + 1, updated_at=time.time())
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement) == 1

    async def held_awards(self) -> list[OutboxAward]:
        """Awards the bot holds for an approver, oldest first."""
        async with self.connect() as conn:
            rows = (
                await conn.execute(
                    _ROW.where(self._mine(award_outbox), _t.state == "held").order_by(_t.id)
                )
            ).all()
        return [_outbox_award(r) for r in rows]

    async def update_evidence(self, award_id: int, evidence: dict[str, Any]) -> None:
        """Replace the evidence kept with an outbox row."""
        statement = (
            update(award_outbox)
            .where(self._mine(award_outbox), _t.id == award_id)
            .values(evidence=json.dumps(evidence))
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def mark_award_sent(
        self,
        award_id: int,
        *,
        lease: float | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> bool:
        """Note that the assign request of an outbox row is going out now (unanswered
        until :meth:`retry_award_later` says otherwise), with ``evidence`` kept beside it
        if given. With the ``lease`` :meth:`take_award` returned, only while the row is
        still that worker's; False when another worker took it since, and must not send."""
        now = time.time()
        values: dict[str, Any] = {"sent_at": now, "updated_at": now, "answered": 0}
        if evidence is not None:
            values["evidence"] = json.dumps(evidence)
        mine = [self._mine(award_outbox), _t.id == award_id]
        if lease is not None:
            mine.append(_t.updated_at == lease)
        statement = update(award_outbox).where(*mine).values(**values)
        async with self.connect() as conn:
            return await rowcount(conn, statement) == 1

    async def assignment_delivered(self, assignment_id: str) -> bool:
        """Whether an outbox row was already matched to this Quantive award."""
        query = select(_t.id).where(
            self._mine(award_outbox), _t.assignment_id == assignment_id, _t.state == "delivered"
        )
        async with self.connect() as conn:
            return (await conn.execute(query.limit(1))).first() is not None

    async def outbox_award(self, award_id: int) -> OutboxAward | None:
        """One outbox row."""
        async with self.connect() as conn:
            query = _ROW.where(self._mine(award_outbox), _t.id == award_id)
            row = (await conn.execute(query)).first()
        return _outbox_award(row) if row else None

    async def due_awards(self, now: float, stale_before: float) -> list[OutboxAward]:
        """Awards to try again: waiting ones that are due, and ``sending`` ones whose
        process died mid-call (not touched since ``stale_before``)."""
        query = _ROW.where(self._mine(award_outbox), awards_due(now, stale_before))
        query = query.order_by(_t.id)
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_outbox_award(r) for r in rows]

    async def take_award(self, award: OutboxAward, stale_before: float) -> float | None:
        """Claim an outbox row for one attempt; the lease (the time it was taken at, which
        :meth:`mark_award_sent` checks before the send), or None when another worker has
        it. A worker slowed past the stale window meanwhile loses the row to the next."""
        lease = time.time()
        statement = (
            update(award_outbox)
            .where(
                self._mine(award_outbox),
                _t.id == award.id,
                # The row was read by due_awards: taking it asks only that nobody took it
                # since (still waiting, or still stale), not that it is due again.
                or_(_t.state.in_(_WAITING), _stale_sending(stale_before)),
            )
            .values(state="sending", attempts=_t.attempts + 1, updated_at=lease)
        )
        async with self.connect() as conn:
            return lease if await rowcount(conn, statement) == 1 else None

    async def retry_award_later(
        self, award_id: int, state: str, delay: float, error: str, *, answered: bool | None = None
    ) -> None:
        """Put an award back in the queue (``queued``, or ``uncertain`` to check first);
        ``answered`` records how the last send ended, None keeps what is recorded."""
        now = time.time()
        values: dict[str, Any] = {
            "state": state,
            "next_attempt_at": now + delay,
            "updated_at": now,
            "last_error": error[:300],
        }
        if answered is not None:
            values["answered"] = int(answered)
        statement = (
            update(award_outbox).where(self._mine(award_outbox), _t.id == award_id).values(values)
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def finish_award(
        self, award_id: int, state: str, assignment_id: str | None = None, error: str = ""
    ) -> None:
        """Mark an award ``delivered`` (as Quantive's ``assignment_id``), ``refused``, or
        ``unknown`` (Quantive never showed whether it was made)."""
        values: dict[str, Any] = {
            "state": state,
            "updated_at": time.time(),
            "last_error": error[:300],
        }
        if assignment_id is not None:
            values["assignment_id"] = assignment_id
        async with self.connect() as conn:
            await conn.execute(
                update(award_outbox)
                .where(self._mine(award_outbox), _t.id == award_id)
                .values(values)
            )

    async def outbox_counts(self) -> dict[str, int]:
        """How many awards are in each outbox state."""
        query = select(_t.state, func.count()).where(self._mine(award_outbox)).group_by(_t.state)
        async with self.connect() as conn:
            return {state: n for state, n in (await conn.execute(query)).all()}
