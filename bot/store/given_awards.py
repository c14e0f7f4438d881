"""Every award made or requested through the bot: who gave which badge to whom, when, and
what became of it. The give limits, the leaderboard by period, the weekly recap and the
HR export read it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from bot.chat import Platform
from bot.store.database import Database
from bot.store.tables import given_awards

#: Statuses of awards that were not made: they give the giver's count back.
NOT_MADE = ("rejected", "refused")

_t = given_awards.c


@dataclass(frozen=True)
class GivenAward:
    """One give. ``status``: sending (not confirmed by Quantive yet), pending, approved,
    rejected, held (waiting for an approver in the bot), refused (by Quantive) or unknown.
    ``recipients`` are ``{"name", "email", "quantive_id", "is_team"}``."""

    give_id: int
    platform: Platform
    badge_id: str
    badge_name: str
    giver_chat_id: str
    status: str
    given_at: float
    recipients: list[dict[str, Any]] = field(default_factory=list)
    giver_email: str = ""
    giver_name: str = ""
    comment: str = ""
    assignment_id: str | None = None
    decided_at: float | None = None
    decided_by: str = ""


class GivenAwards(Database):
    """The ``given_awards`` table."""

    async def record_given(self, award: GivenAward) -> None:
        """Record a give as it is accepted (or replace it)."""
        values = {
            **dataclasses.asdict(award),
            "recipients": json.dumps(award.recipients),
            "recipient_count": len(award.recipients),
        }
        await self._upsert(given_awards, values)

    async def mark_given(
        self, give_id: int, status: str, *, assignment_id: str | None = None
    ) -> None:
        """What Quantive made of a give: its id and status."""
        values: dict[str, Any] = {"status": status}
        if assignment_id is not None:
            values["assignment_id"] = assignment_id
        async with self.connect() as conn:
            await conn.execute(update(given_awards).where(_t.give_id == give_id).values(values))

    async def decide_given(
        self,
        assignment_id: str,
        status: str,
        decided_by: str,
        decided_at: float,
        *,
        give_id: int | None = None,
    ) -> None:
        """An approver's decision on the give with this Quantive id, or (a held award,
        which may have its Quantive id by now) with this ``give_id``."""
        which = _t.give_id == give_id if give_id is not None else _t.assignment_id == assignment_id
        statement = (
            update(given_awards)
            .where(which)
            .values(status=status, decided_by=decided_by, decided_at=decided_at)
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def given_count(self, platform: Platform, giver_chat_id: str, since: float) -> int:
        """How many recipients this person gave to since ``since``, awards not made
        excepted."""
        query = select(func.coalesce(func.sum(_t.recipient_count), 0)).where(
            _t.platform == platform,
            _t.giver_chat_id == giver_chat_id,
            _t.given_at >= since,
            _t.status.not_in(NOT_MADE),
        )
        async with self.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def given_between(
        self, since: float | None = None, until: float | None = None, *, page: int = 1000
    ) -> AsyncIterator[GivenAward]:
        """The gives in ``[since, until)``, oldest first, read a page at a time (keyset
        pagination, so an export of years of awards never sits in memory, and no
        connection is held between pages)."""
        after: tuple[float, int] | None = None
        while True:
            query = select(given_awards).order_by(_t.given_at, _t.give_id).limit(page)
            if since is not None:
                query = query.where(_t.given_at >= since)
            if until is not None:
                query = query.where(_t.given_at < until)
            if after is not None:
                query = query.where(
                    or_(
                        _t.given_at > after[0],
                        and_(_t.given_at == after[0], _t.give_id > after[1]),
                    )
                )
            async with self.connect() as conn:
                rows = (await conn.execute(query)).all()
            for row in rows:
                yield _given(row._mapping)
            if len(rows) < page:
                return
            last = rows[-1]._mapping
            after = (last["given_at"], last["give_id"])


def _given(row: Any) -> GivenAward:
    values = dict(row)
    del values["recipient_count"]  # derived from the recipients
    return GivenAward(**{**values, "recipients": json.loads(values["recipients"])})
