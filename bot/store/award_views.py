"""What the bot showed about each award, and which chat messages show it, so that every
copy can be redrawn when the award's state changes."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.chat import Platform
from bot.store.database import Database
from bot.store.tables import award_messages, awards


@dataclass(frozen=True)
class MessageRef:
    """A chat message that shows an award: a single request or a digest. ``channel`` and
    ``ts`` are the platform's ids (on Teams: the conversation and the activity)."""

    channel: str
    ts: str
    kind: str
    platform: Platform = "slack"


class AwardViews(Database):
    """The ``awards`` and ``award_messages`` tables."""

    async def save_award_view(self, assignment_id: str, view: dict[str, Any]) -> None:
        """Keep what a message about the award shows, to redraw it after a decision."""
        values: dict[str, Any] = {
            "assignment_id": assignment_id,
            "view": json.dumps(view),
            "updated_at": time.time(),
        }
        await self._upsert(awards, values)

    async def award_view(self, assignment_id: str) -> dict[str, Any] | None:
        """The saved view of an award, if any."""
        query = select(awards.c.view).where(awards.c.assignment_id == assignment_id)
        async with self.connect() as conn:
            view = (await conn.execute(query)).scalar()
        return json.loads(view) if view else None

    async def award_views(self) -> list[dict[str, Any]]:
        """Every saved view, newest first."""
        query = select(awards.c.view).order_by(awards.c.updated_at.desc())
        async with self.connect() as conn:
            views = (await conn.execute(query)).scalars().all()
        return [json.loads(v) for v in views]

    async def add_message(
        self,
        assignment_id: str,
        channel: str,
        ts: str,
        kind: str,
        *,
        platform: Platform = "slack",
    ) -> None:
        """Remember that message (channel, ts) shows the award."""
        statement = (
            self._insert(award_messages)
            .values(
                platform=platform, channel=channel, ts=ts, assignment_id=assignment_id, kind=kind
            )
            .on_conflict_do_nothing()
        )
        async with self.connect() as conn:
            await conn.execute(statement)

    async def messages_for(self, assignment_id: str) -> list[MessageRef]:
        """Every message that shows the award, on every platform."""
        t = award_messages.c
        query = select(t.channel, t.ts, t.kind, t.platform).where(t.assignment_id == assignment_id)
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [MessageRef(*row) for row in rows]
