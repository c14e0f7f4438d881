"""Slack user lookups with a short in-process cache: profiles, emails and group members."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.identity import ChatProfile

PROFILE_TTL = 600.0
#: Profiles kept at most: a large workspace's active users; the least recently used go.
MAX_PROFILES = 10_000


class SlackDirectory:
    """Reads people from Slack's Web API, caching ``users.info`` answers for a while."""

    def __init__(self, client: AsyncWebClient, ttl: float = PROFILE_TTL) -> None:
        self._client = client
        self._profiles: TTLCache[str, ChatProfile] = TTLCache(maxsize=MAX_PROFILES, ttl=ttl)

    async def profile(self, user_id: str) -> ChatProfile:
        """The user's profile; a user Slack does not know comes back as deleted."""
        try:  # one read, not `in` then `[]`: an entry can expire between the two
            return self._profiles[user_id]
        except KeyError:
            pass
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "user_not_visible"):
                return ChatProfile(user_id=user_id, name=user_id, deleted=True)
            raise
        user = response["user"]
        profile = user.get("profile") or {}
        chat_profile = ChatProfile(
            user_id=user_id,
            name=profile.get("display_name")
            or profile.get("real_name")
            or user.get("name")
            or user_id,
            email=profile.get("email"),
            is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
            deleted=bool(user.get("deleted")),
        )
        self._profiles[user_id] = chat_profile
        return chat_profile

    async def profiles(self, user_ids: Iterable[str]) -> list[ChatProfile]:
        """Several profiles, fetched concurrently, in the order asked."""
        ids = list(dict.fromkeys(user_ids))
        return list(await asyncio.gather(*(self.profile(u) for u in ids)))

    async def user_id_for_email(self, email: str) -> str | None:
        """The Slack user with this email, or None."""
        try:
            response = await self._client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                return None
            raise
        return response["user"]["id"]

    async def usergroup_members(self, group_id: str) -> list[str]:
        """The members of a user group."""
        response = await self._client.usergroups_users_list(usergroup=group_id)
        return list(response.get("users") or [])
