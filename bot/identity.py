"""Who is who: chat users to Quantive users by email, cached in the database with a TTL.

Nothing here knows about Slack; the chat front end supplies :class:`ChatProfile` records.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from api import QuantiveClient
from bot.chat import Platform
from bot.people import Person
from bot.store import Identity, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatProfile:
    """What the chat platform tells about a user."""

    user_id: str
    name: str
    email: str | None = None
    is_bot: bool = False
    deleted: bool = False
    platform: Platform = "slack"
    #: Other names of the user that permissions may list (on Teams: email, AAD object id).
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unresolved:
    """A chat user who has no Quantive identity, and why, in words for a person."""

    profile: ChatProfile
    reason: str


_NO_EMAIL: dict[Platform, str] = {
    "slack": "the bot cannot see their email address (it needs the users:read.email scope, "
    "and the profile must have an email)",
    "teams": "Teams did not tell the bot their email address (their account has no email "
    "or user principal name)",
}


class IdentityResolver:
    """Maps chat users to Quantive users, and Quantive emails back to chat users."""

    def __init__(self, store: Store, quantive: QuantiveClient, ttl: float) -> None:
        self._store = store
        self._quantive = quantive
        self._ttl = ttl

    async def resolve(
        self, profiles: Iterable[ChatProfile]
    ) -> tuple[dict[str, Identity], list[Unresolved]]:
        """Quantive identities by chat user id, and the users who could not be found.

        Cached identities cost nothing; the rest are looked up with one batched call.
        """
        found: dict[str, Identity] = {}
        missing: list[Unresolved] = []
        to_fetch: list[ChatProfile] = []
        for profile in dict.fromkeys(profiles):
            cached = await self._store.cached_identity(
                profile.user_id, self._ttl, platform=profile.platform
            )
            if cached is not None:
                found[profile.user_id] = cached
            elif not profile.email:
                missing.append(
                    Unresolved(
                        profile,
                        _NO_EMAIL[profile.platform],
                    )
                )
            else:
                to_fetch.append(profile)
        if to_fetch:
            users = await self._quantive.find_users_by_email(p.email or "" for p in to_fetch)
            by_email = {u.email.lower(): u for u in users}
            for profile in to_fetch:
                user = by_email.get((profile.email or "").lower())
                if user is None:
                    missing.append(
                        Unresolved(profile, f"no Quantive user has the email {profile.email}")
                    )
                    continue
                identity = Identity(
                    profile.user_id, user.id, user.email, user.display_name, profile.platform
                )
                await self._store.remember_identity(identity)
                found[profile.user_id] = identity
        return found, missing

    async def chat_users_for(
        self,
        people: Iterable[Person],
        lookup: Callable[[str], Awaitable[str | None]],
        concurrency: int = 5,
        *,
        platform: Platform = "slack",
    ) -> dict[str, str]:
        """Chat user ids by Quantive id, for the people the chat knows by email.

        Lookups run a few at a time (Slack's users.lookupByEmail is a tier 3 method) and
        are cached; one that fails leaves that person shown by name.
        """
        limit = asyncio.Semaphore(concurrency)
        found: dict[str, str] = {}

        async def one(person: Person) -> None:
            async with limit:
                try:
                    chat_id = await self.chat_user_for_email(
                        person.email, lookup, platform=platform
                    )
                except Exception as exc:  # one failed lookup only costs that mention
                    log.info("no chat user for a Quantive user: %s", type(exc).__name__)
                    return
                if chat_id:
                    found[person.id] = chat_id

        await asyncio.gather(*(one(p) for p in people if p.email and not p.is_team))
        return found

    async def chat_user_for_email(
        self,
        email: str,
        lookup: Callable[[str], Awaitable[str | None]],
        *,
        platform: Platform = "slack",
    ) -> str | None:
        """The chat user id for a Quantive email, via the cache or ``lookup``."""
        if not email:
            return None
        known, chat_user_id = await self._store.cached_chat_user_by_email(
            email, self._ttl, platform=platform
        )
        if known:
            return chat_user_id
        chat_user_id = await lookup(email)
        await self._store.remember_chat_user_by_email(email, chat_user_id, platform=platform)
        return chat_user_id
