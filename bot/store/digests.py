"""Digest (and recap) subscriptions, and the claim on (channel, local day) that lets exactly one
clock post each day's digest, however many clocks run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select, update

from bot.chat import Platform
from bot.store.award_records import message_rows
from bot.store.database import Database, inserted, rowcount
from bot.store.tables import (
    digest_claims,
    digest_subscriptions,
    recap_subscriptions,
)

#: What a channel subscribes to: the daily digest or the weekly recap.
Subscription = Literal["digest", "recap"]
_SUBSCRIPTIONS = {"digest": digest_subscriptions, "recap": recap_subscriptions}


@dataclass(frozen=True)
class DigestPost:
    """A digest message as claimed and posted for one channel and day."""

    channel: str
    day: str
    ts: str | None
    assignment_ids: list[str]
    hidden_count: int


class DigestClaims(Database):
    """The ``digest_subscriptions`` and ``digest_claims`` tables."""

    async def subscribe_digest(
        self,
        channel: str,
        user: str,
        *,
        platform: Platform = "slack",
        post: Subscription = "digest",
    ) -> bool:
        """Subscribe a channel to the digest (or the recap); False when it already was."""
        table = _SUBSCRIPTIONS[post]
        values = {
            "platform": platform,
            "channel": channel,
            "subscribed_by": user,
            "subscribed_at": time.time(),
        }
        return await self._insert_new(table, values, table.c.channel)

    async def unsubscribe_digest(
        self, channel: str, *, platform: Platform = "slack", post: Subscription = "digest"
    ) -> bool:
        """Unsubscribe a channel; False when it was not subscribed."""
        table = _SUBSCRIPTIONS[post]
        t = table.c
        statement = delete(table).where(
            self._mine(table), t.platform == platform, t.channel == channel
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement) == 1

    async def digest_subscriptions(
        self, *, platform: Platform = "slack", post: Subscription = "digest"
    ) -> list[str]:
        """The platform's channels subscribed at run time."""
        table = _SUBSCRIPTIONS[post]
        t = table.c
        query = select(t.channel).where(self._mine(table), t.platform == platform)
        query = query.order_by(t.channel)
        async with self.connect() as conn:
            return list((await conn.execute(query)).scalars().all())

    async def claim_digest(
        self, channel: str, day: str, *, force: bool = False, platform: Platform = "slack"
    ) -> bool:
        """Claim (channel, day) before posting; only the first claim wins unless forced."""
        values = {
            "workspace": self.workspace,
            "platform": platform,
            "channel": channel,
            "day": day,
            "claimed_at": time.time(),
        }
        statement = self._insert(digest_claims).values(values)
        if force:
            statement = statement.on_conflict_do_update(
                index_elements=["workspace", "platform", "channel", "day"],
                set_={**values, "ts": None, "assignment_ids": "[]", "hidden_count": 0},
            )
        else:
            statement = statement.on_conflict_do_nothing()
        async with self.connect() as conn:
            return await inserted(conn, statement, digest_claims.c.channel)

    async def release_digest(self, channel: str, day: str, *, platform: Platform = "slack") -> None:
        """Give up a claim whose post certainly failed, so a later run may post."""
        t = digest_claims.c
        statement = delete(digest_claims).where(
            self._mine(digest_claims),
            t.platform == platform,
            t.channel == channel,
            t.day == day,
            t.ts.is_(None),
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def record_digest(
        self,
        channel: str,
        day: str,
        ts: str,
        assignment_ids: list[str],
        hidden_count: int,
        *,
        platform: Platform = "slack",
    ) -> None:
        """Record what a posted digest shows, and link it to each award, in one transaction."""
        t = digest_claims.c
        claim = (
            update(digest_claims)
            .where(
                self._mine(digest_claims),
                t.platform == platform,
                t.channel == channel,
                t.day == day,
            )
            .values(ts=ts, assignment_ids=json.dumps(assignment_ids), hidden_count=hidden_count)
        )
        async with self.transaction() as conn:
            await conn.execute(claim)
            if assignment_ids:
                rows = [
                    message_rows(self.workspace, platform, channel, ts, a, "digest")
                    for a in assignment_ids
                ]
                table, links = rows[0][0], [row for _, row in rows]
                await conn.execute(self._insert(table).on_conflict_do_nothing(), links)

    async def digest_post(
        self, channel: str, ts: str, *, platform: Platform = "slack"
    ) -> DigestPost | None:
        """The digest posted as message (channel, ts), if it is one."""
        t = digest_claims.c
        query = select(t.channel, t.day, t.ts, t.assignment_ids, t.hidden_count).where(
            self._mine(digest_claims), t.platform == platform, t.channel == channel, t.ts == ts
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return DigestPost(
            row.channel, row.day, row.ts, json.loads(row.assignment_ids), row.hidden_count
        )
