"""Who a Teams user is: their email and Azure AD object id from the connector's member
lookup, cached for a while, and remembered in the store so that approvers listed by email
or object id (TEAMS_APPROVERS) can be found by their ``29:`` id later."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from cachetools import TTLCache

from bot.identity import ChatProfile
from bot.store import ConversationRef, Store
from handlers.teams.connector import ConnectorError, TeamsConnector

log = logging.getLogger(__name__)

#: Entries kept at most (a person may be kept under two ids, as looked up and as Teams
#: answered): a large tenant's active users; the least recently used go.
MAX_PROFILES = 20_000

#: The shape of the ids Teams sends (``29:1AbC-_``, ``a:1x``, ``19:x@thread.tacv2;messageid=1``,
#: Azure AD object ids, activity ids): no ``/``, ``?``, ``%`` or space, which would change
#: a connector URL, and short enough for any store column.
_TEAMS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:@._;=+!-]{0,511}")


def is_plausible_teams_id(value: object) -> bool:
    """Whether ``value`` could be an id Teams sent, and so is safe in a connector path and
    in the store."""
    return isinstance(value, str) and _TEAMS_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class Sender:
    """A person as an activity names them: ``from`` or a mention entity."""

    user_id: str
    name: str
    aad_object_id: str | None = None


class TeamsDirectory:
    """Teams profiles, as :class:`bot.identity.ChatProfile`, by the conversation they
    were seen in."""

    def __init__(self, connector: TeamsConnector, store: Store, ttl: float) -> None:
        self._connector = connector
        self._store = store
        self._cache: TTLCache[str, ChatProfile] = TTLCache(maxsize=MAX_PROFILES, ttl=ttl)

    async def profile(self, who: Sender, where: ConversationRef) -> ChatProfile:
        """The profile of ``who``, looked up in the conversation ``where`` (or in their own
        1:1 chat with the bot, when that is known). A failed lookup gives a profile without
        email, which the core refuses with a reason."""
        try:  # one read, not `in` then `[]`: an entry can expire between the two
            return self._cache[who.user_id]
        except KeyError:
            pass
        member = await self._member(who.user_id, where)
        if not member:
            own = await self._store.personal_conversation(who.user_id)
            if own is not None and own.conversation_id != where.conversation_id:
                member = await self._member(who.user_id, own)
        email = str(member.get("email") or member.get("userPrincipalName") or "") or None
        aad = str(member.get("aadObjectId") or who.aad_object_id or "") or None
        # Looked up by Azure AD object id (the dialog's people picker), Teams answers
        # with the person's 29: id, which every other activity uses.
        user_id = str(member.get("id") or who.user_id)
        profile = ChatProfile(
            user_id=user_id,
            name=str(member.get("name") or who.name or "someone"),
            email=email,
            platform="teams",
            aliases=tuple(a for a in (email, aad) if a),
        )
        if member:
            self._cache[who.user_id] = self._cache[user_id] = profile
            await self.remember(user_id, email, aad)
        return profile

    async def _member(self, user_id: str, where: ConversationRef) -> dict[str, object]:
        """The connector's member lookup in one conversation; {} when it has none."""
        try:
            return await self._connector.member(where.service_url, where.conversation_id, user_id)
        except ConnectorError as exc:
            log.info("no member lookup for a Teams user: %s", exc)
            return {}

    async def remember(self, user_id: str, email: str | None, aad: str | None) -> None:
        """Keep how to find this ``29:`` id from an email or an Azure AD object id."""
        for key in (email, aad):
            if key:
                await self._store.remember_chat_user_by_email(key, user_id, platform="teams")

    async def user_id_for(self, key: str, max_age: float = 10 * 365 * 86400) -> str | None:
        """The ``29:`` id of a person listed by email or Azure AD object id, if seen."""
        known, user_id = await self._store.cached_chat_user_by_email(key, max_age, platform="teams")
        return user_id if known else None
