"""The award records (bot.awards.record) and the chat messages that show them.

A record is stored as a row of ``awards``; the store speaks in rows (dicts), the core turns
them into records, so the store never imports the core. Each platform's message references
live in its own table: ``slack_messages`` (channel, ts) and ``teams_messages``
(conversation, activity).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, delete, exists, func, insert, or_, select, update

from bot.chat import Platform
from bot.store.award_recipients import forget_recipients, insert_recipients, replace_recipients
from bot.store.database import Database, rowcount
from bot.store.tables import (
    award_outbox,
    award_recipients,
    awards,
    slack_messages,
    teams_messages,
)

#: Statuses of awards that were not made: they give the giver's count back.
NOT_MADE = ("rejected", "refused")

_t = awards.c
_r = award_recipients.c


@dataclass(frozen=True)
class MessageRef:
    """A chat message that shows an award: a single request or a digest. ``channel`` and
    ``ts`` are the platform's ids (on Teams: the conversation and the activity)."""

    channel: str
    ts: str
    kind: str
    platform: Platform = "slack"


def message_rows(
    workspace: str, platform: Platform, channel: str, ts: str, assignment_id: str, kind: str
) -> tuple[Table, dict[str, str]]:
    """The table and the row that remember one message of ``platform`` in ``workspace``."""
    if platform == "teams":
        return teams_messages, {
            "workspace": workspace,
            "conversation_id": channel,
            "activity_id": ts,
            "assignment_id": assignment_id,
            "kind": kind,
        }
    return slack_messages, {
        "workspace": workspace,
        "channel": channel,
        "ts": ts,
        "assignment_id": assignment_id,
        "kind": kind,
    }


class AwardRecords(Database):
    """The ``awards``, ``slack_messages`` and ``teams_messages`` tables."""

    def _award_values(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record's columns as this workspace writes them: its row id is the table's to
        give, and its workspace is always this store's, whatever the dict says."""
        values = {k: v for k, v in record.items() if k != "id"}
        return {**values, "workspace": self.workspace, "updated_at": time.time()}

    async def accept_award(
        self,
        request: dict[str, Any],
        record: dict[str, Any],
        evidence: dict[str, Any],
        *,
        held_key: str | None = None,
    ) -> tuple[int, int]:
        """Write an accepted give to the outbox and its record, in one transaction, before
        Quantive is called; returns the give's id and the record's. It starts as
        ``sending``, or, with ``held_key`` (a format such as ``held-{}`` that the give's
        id completes into the record's key), ``held`` when it waits for an approver
        (BADGE_APPROVAL=bot) and nothing is sent."""
        held = held_key is not None
        now = time.time()
        outbox = insert(award_outbox).values(
            workspace=self.workspace,
            state="held" if held else "sending",
            request=json.dumps(request),
            attempts=0 if held else 1,
            next_attempt_at=now,
            updated_at=now,
            sent_at=None if held else now,
            evidence=json.dumps(evidence),
        )
        async with self.transaction() as conn:
            give_id = int((await conn.execute(outbox.returning(award_outbox.c.id))).scalar_one())
            values = {**self._award_values(record), "give_id": give_id, "updated_at": now}
            if held_key is not None:
                values["assignment_id"] = held_key.format(give_id)
            inserted = await conn.execute(insert(awards).values(values).returning(_t.id))
            record_id = int(inserted.scalar_one())
            await insert_recipients(conn, self.workspace, {**values, "id": record_id})
            return give_id, record_id

    async def save_award(self, record_id: int, record: dict[str, Any]) -> None:
        """Replace a stored record. A record of the same key first seen in Quantive (no
        give) is the same award, met before the give learnt its id: it is dropped in the
        same transaction, so the give's record takes the key (the caller merges what the
        seen one knew, see bot.awards.delivery)."""
        values = self._award_values(record)
        statement = update(awards).where(self._mine(awards), _t.id == record_id).values(values)
        key = values.get("assignment_id")
        # Only a record of this workspace may displace a seen one: the id of another
        # workspace's record (a caller's mistake) must change nothing here.
        ours = exists().where(self._mine(awards), _t.id == record_id)
        async with self.transaction() as conn:
            if key:
                seen = (
                    self._mine(awards),
                    _t.assignment_id == key,
                    _t.give_id.is_(None),
                    _t.id != record_id,
                    ours,
                )
                seen_ids = select(_t.id).where(*seen).scalar_subquery()
                await forget_recipients(conn, self.workspace, _r.award_id.in_(seen_ids))
                await conn.execute(delete(awards).where(*seen))
            # Recipients change (a revoke drops one), and so does the status the rows copy;
            # only an award of this workspace may have its recipient rows rewritten.
            if await rowcount(conn, statement) == 1:
                await replace_recipients(conn, self.workspace, record_id)

    async def add_seen_award(self, record: dict[str, Any]) -> None:
        """Keep the record of an award first seen in Quantive (a digest shows it), unless
        the bot already has one: a record is never overwritten by how it was seen."""
        values = self._award_values(record)
        statement = (
            self._insert(awards)
            .values(values)
            .on_conflict_do_nothing(index_elements=["workspace", "assignment_id"])
            .returning(_t.id)
        )
        async with self.transaction() as conn:
            written = (await conn.execute(statement)).first()
            if written is not None:
                await insert_recipients(conn, self.workspace, {**values, "id": written.id})

    async def award_row(self, assignment_id: str) -> dict[str, Any] | None:
        """The record with this key (or, for a held award, this Quantive id)."""
        if not assignment_id:
            return None
        query = (
            select(awards)
            .where(
                self._mine(awards),
                or_(_t.assignment_id == assignment_id, _t.quantive_assignment_id == assignment_id),
            )
            .order_by(_t.assignment_id != assignment_id)
            .limit(1)
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def award_row_by_give(self, give_id: int) -> dict[str, Any] | None:
        """The record of a give through the bot."""
        async with self.connect() as conn:
            query = select(awards).where(self._mine(awards), _t.give_id == give_id)
            row = (await conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def award_rows(self, status: str) -> list[dict[str, Any]]:
        """Every record in ``status``, newest first."""
        query = select(awards).where(self._mine(awards), _t.status == status).order_by(_t.id.desc())
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [dict(r._mapping) for r in rows]

    async def given_count(
        self, platform: Platform, giver_chat_id: str, since: float, *, up_to: int | None = None
    ) -> int:
        """How many recipients this person gave to since ``since``, awards not made
        excepted; with ``up_to``, only in the gives recorded up to that record (so that
        gives recorded at the same moment are counted in their order)."""
        query = select(func.coalesce(func.sum(_t.recipient_count), 0)).where(
            self._mine(awards),
            _t.platform == platform,
            _t.giver_chat_id == giver_chat_id,
            _t.given_at >= since,
            _t.give_id.is_not(None),
            _t.status.not_in(NOT_MADE),
        )
        if up_to is not None:
            query = query.where(_t.id <= up_to)
        async with self.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def given_between(
        self, since: float | None = None, until: float | None = None, *, page: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        """The gives through the bot in ``[since, until)``, oldest first, read a page at a
        time (keyset pagination, so an export of years of awards never sits in memory, and
        no connection is held between pages)."""
        after: tuple[float, int] | None = None
        while True:
            query = (
                select(awards)
                .where(self._mine(awards), _t.give_id.is_not(None))
                .order_by(_t.given_at, _t.id)
                .limit(page)
            )
            if since is not None:
                query = query.where(_t.given_at >= since)
            if until is not None:
                query = query.where(_t.given_at < until)
            if after is not None:
                query = query.where(
                    or_(_t.given_at > after[0], and_(_t.given_at == after[0], _t.id > after[1]))
                )
            async with self.connect() as conn:
                rows = (await conn.execute(query)).all()
            for row in rows:
                yield dict(row._mapping)
            if len(rows) < page:
                return
            last = rows[-1]._mapping
            after = (last["given_at"], last["id"])

    async def add_message(
        self, assignment_id: str, channel: str, ts: str, kind: str, *, platform: Platform = "slack"
    ) -> None:
        """Remember that message (channel, ts) of ``platform`` shows the award."""
        table, row = message_rows(self.workspace, platform, channel, ts, assignment_id, kind)
        async with self.connect() as conn:
            await conn.execute(self._insert(table).values(row).on_conflict_do_nothing())

    async def messages_for(self, assignment_id: str) -> list[MessageRef]:
        """Every message that shows the award, on every platform."""
        s, t = slack_messages.c, teams_messages.c
        async with self.connect() as conn:
            on_slack = await conn.execute(
                select(s.channel, s.ts, s.kind).where(
                    self._mine(slack_messages), s.assignment_id == assignment_id
                )
            )
            found = [MessageRef(*row, "slack") for row in on_slack.all()]
            on_teams = await conn.execute(
                select(t.conversation_id, t.activity_id, t.kind).where(
                    self._mine(teams_messages), t.assignment_id == assignment_id
                )
            )
            found += [MessageRef(*row, "teams") for row in on_teams.all()]
        return found
