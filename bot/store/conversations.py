"""Conversation references: what the bot needs to write to a person or a channel later,
without being asked (approval requests, notices, the digest). Every incoming activity
refreshes the reference of the conversation it came from."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from bot.chat import Platform
from bot.store.database import Database
from bot.store.tables import conversations


@dataclass(frozen=True)
class ConversationRef:
    """A conversation the bot may write to: ``kind`` is ``personal``, ``channel`` or
    ``groupChat``; ``user_id`` is the person, for a personal chat."""

    conversation_id: str
    kind: str
    service_url: str
    tenant_id: str = ""
    user_id: str | None = None
    platform: Platform = "teams"


_t = conversations.c
#: A reference's columns, in ConversationRef's order (its platform is the caller's).
_REF = select(_t.conversation_id, _t.kind, _t.service_url, _t.tenant_id, _t.user_id)


class Conversations(Database):
    """The ``conversations`` table."""

    async def remember_conversation(self, ref: ConversationRef) -> None:
        """Keep (or refresh) a conversation reference."""
        values = {
            "platform": ref.platform,
            "conversation_id": ref.conversation_id,
            "kind": ref.kind,
            "service_url": ref.service_url,
            "tenant_id": ref.tenant_id,
            "user_id": ref.user_id,
            "updated_at": time.time(),
        }
        await self._upsert(conversations, values)

    async def personal_conversation(
        self, user_id: str, *, platform: Platform = "teams"
    ) -> ConversationRef | None:
        """The newest personal chat with ``user_id``, if the bot has seen one."""
        query = (
            _REF.where(
                self._mine(conversations),
                _t.platform == platform,
                _t.user_id == user_id,
                _t.kind == "personal",
            )
            .order_by(_t.updated_at.desc())
            .limit(1)
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return ConversationRef(*row, platform=platform) if row else None

    async def conversation(
        self, conversation_id: str, *, platform: Platform = "teams"
    ) -> ConversationRef | None:
        """One conversation's reference."""
        query = _REF.where(
            self._mine(conversations),
            _t.platform == platform,
            _t.conversation_id == conversation_id,
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return ConversationRef(*row, platform=platform) if row else None
