"""Decision claims: the first approver's click wins, in every process sharing the
database, because the award's id is the primary key of the claim. Recovering a claim and
confirming it are conditional UPDATEs, so one process wins each of them too."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, select, update

from bot.store.database import Database, rowcount
from bot.store.tables import decision_claims


@dataclass(frozen=True)
class DecisionClaim:
    """Who claimed the decision on an award, and whether Quantive confirmed it."""

    assignment_id: str
    decision: str
    decided_by: str
    reason: str
    done: bool
    #: Who decided, as bot.awards.record.Decider's JSON (so any process can name them).
    decider: str = "{}"


_COLUMNS = (
    decision_claims.c.assignment_id,
    decision_claims.c.decision,
    decision_claims.c.decided_by,
    decision_claims.c.reason,
    decision_claims.c.done_at.is_not(None),
    decision_claims.c.decider,
)


def stale_claims(claimed_before: float) -> ColumnElement[bool]:
    """Claims never confirmed by Quantive and older than ``claimed_before``: their process
    may have died. Asked by :meth:`DecisionClaims.take_decision`,
    :meth:`DecisionClaims.unfinished_decisions` and bot.store.due_work alike, so what the
    worker looks for is what it may take."""
    t = decision_claims.c
    return and_(t.done_at.is_(None), t.claimed_at < claimed_before)


class DecisionClaims(Database):
    """The ``decision_claims`` table."""

    async def claim_decision(
        self,
        assignment_id: str,
        decision: str,
        decided_by: str,
        reason: str = "",
        *,
        decider: str = "{}",
    ) -> bool:
        """Claim the right to decide an award. Only the first claim wins."""
        values = {
            "assignment_id": assignment_id,
            "decision": decision,
            "decided_by": decided_by,
            "reason": reason,
            "decider": decider,
            "claimed_at": time.time(),
        }
        return await self._insert_new(decision_claims, values, decision_claims.c.assignment_id)

    async def finish_decision(self, assignment_id: str) -> bool:
        """Mark a claimed decision as confirmed by Quantive. True only for the one call
        that moved it to done: that caller, and no other, tells people about it."""
        t = decision_claims.c
        statement = (
            update(decision_claims)
            .where(
                self._mine(decision_claims), t.assignment_id == assignment_id, t.done_at.is_(None)
            )
            .values(done_at=time.time())
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement) > 0

    async def take_decision(self, assignment_id: str, claimed_before: float) -> bool:
        """Take over an unconfirmed claim older than ``claimed_before``, to settle it.

        One UPDATE whose WHERE holds the age: of processes that read the same stale claim,
        exactly one moves its ``claimed_at`` to now, and the others then find it fresh. The
        new ``claimed_at`` is a lease: if the taker dies too, the claim is stale again once
        ``claimed_before``'s margin has passed, and someone else takes it.
        """
        t = decision_claims.c
        statement = (
            update(decision_claims)
            .where(
                self._mine(decision_claims),
                t.assignment_id == assignment_id,
                stale_claims(claimed_before),
            )
            .values(claimed_at=time.time())
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement) > 0

    async def release_decision(self, assignment_id: str) -> None:
        """Drop a claim whose call failed, so that someone can try again."""
        statement = delete(decision_claims).where(
            self._mine(decision_claims), decision_claims.c.assignment_id == assignment_id
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def decision(self, assignment_id: str) -> DecisionClaim | None:
        """The claim on an award, if any."""
        query = select(*_COLUMNS).where(
            self._mine(decision_claims), decision_claims.c.assignment_id == assignment_id
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return DecisionClaim(*row) if row else None

    async def unfinished_decisions(self, claimed_before: float) -> list[DecisionClaim]:
        """Claims whose Quantive call never confirmed, older than ``claimed_before``."""
        query = select(*_COLUMNS).where(self._mine(decision_claims), stale_claims(claimed_before))
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [DecisionClaim(*row) for row in rows]
