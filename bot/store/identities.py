"""Who a chat user is in Quantive, and who an email is in the chat: cached in the
database, so every process shares one cache and a restart keeps it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from bot.chat import Platform
from bot.store.database import Database
from bot.store.tables import chat_users_by_email, identities


@dataclass(frozen=True)
class Identity:
    """A chat user's Quantive identity, as cached."""

    chat_user_id: str
    quantive_user_id: str
    email: str
    name: str
    platform: Platform = "slack"


class IdentityCache(Database):
    """The identity tables."""

    async def cached_identity(
        self, chat_user_id: str, max_age: float, *, platform: Platform = "slack"
    ) -> Identity | None:
        """The cached identity if younger than ``max_age`` seconds."""
        t = identities.c
        query = select(t.chat_user_id, t.quantive_user_id, t.email, t.name, t.platform).where(
            self._mine(identities),
            t.platform == platform,
            t.chat_user_id == chat_user_id,
            t.fetched_at >= time.time() - max_age,
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return Identity(*row) if row else None

    async def remember_identity(self, identity: Identity) -> None:
        """Cache an identity."""
        values = {
            "platform": identity.platform,
            "chat_user_id": identity.chat_user_id,
            "quantive_user_id": identity.quantive_user_id,
            "email": identity.email,
            "name": identity.name,
            "fetched_at": time.time(),
        }
        await self._upsert(identities, values)

    async def cached_chat_user_by_email(
        self, email: str, max_age: float, *, platform: Platform = "slack"
    ) -> tuple[bool, str | None]:
        """(known, chat user id) for an email; a known None means "nobody in the chat"."""
        t = chat_users_by_email.c
        query = select(t.chat_user_id).where(
            self._mine(chat_users_by_email),
            t.platform == platform,
            t.email == email.lower(),
            t.fetched_at >= time.time() - max_age,
        )
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return (False, None) if row is None else (True, row.chat_user_id)

    async def remember_chat_user_by_email(
        self, email: str, chat_user_id: str | None, *, platform: Platform = "slack"
    ) -> None:
        """Cache the chat user (or the absence of one) for an email."""
        values = {
            "platform": platform,
            "email": email.lower(),
            "chat_user_id": chat_user_id,
            "fetched_at": time.time(),
        }
        await self._upsert(chat_users_by_email, values)
