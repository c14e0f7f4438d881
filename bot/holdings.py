"""Who holds what, derived from the holders of every badge.

Quantive has no "badges of user X" endpoint, so the holders of each badge are fetched with
bounded concurrency and kept for a short while; mine, someone else's and the leaderboard
all read that one snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass

from cachetools import TTLCache

from api import QuantiveClient
from api.errors import NotFound
from api.models import Badge, BadgeHolders
from bot.catalogue import Catalogue
from bot.people import Person

log = logging.getLogger(__name__)

_SNAPSHOT = "holders"


@dataclass(frozen=True)
class Holding:
    """A badge a person holds, directly or through one of their teams."""

    badge: Badge
    via_team: str | None = None


@dataclass(frozen=True)
class Ranked:
    """A leaderboard row: a person or team and how many badges they hold."""

    person: Person
    count: int


class HoldingsIndex:
    """A short-lived snapshot of every badge's holders."""

    def __init__(self, quantive: QuantiveClient, catalogue: Catalogue, ttl: float = 60.0) -> None:
        self._quantive = quantive
        self._catalogue = catalogue
        # One entry, the whole snapshot: it is taken and dropped as one.
        self._snapshot: TTLCache[str, dict[str, BadgeHolders]] = TTLCache(maxsize=1, ttl=ttl)
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Forget the snapshot after something changed who holds what."""
        self._snapshot.clear()

    async def snapshot(self) -> dict[str, BadgeHolders]:
        """Holders by badge id, fetched at most once per TTL."""
        async with self._lock:
            try:  # one read, not `in` then `[]`: the entry can expire between the two
                return self._snapshot[_SNAPSHOT]
            except KeyError:
                pass
            badges = await self._catalogue.badges()

            # All at once: the client keeps QUANTIVE_MAX_CONCURRENCY of them in flight.
            async def one(badge: Badge) -> tuple[str, BadgeHolders | None]:
                try:
                    return badge.id, await self._quantive.badge_holders(badge.id)
                except NotFound:
                    # Deleted in Quantive since the catalogue was read: nobody holds it
                    # any more, and it must not fail everyone's `mine`, `top` and Home.
                    return badge.id, None

            snapshot: dict[str, BadgeHolders] = {}
            for badge_id, holders in await asyncio.gather(*(one(b) for b in badges)):
                if holders is None:
                    log.info("badge %s is gone from Quantive (404): dropped", badge_id)
                    self._catalogue.forget(badge_id)
                else:
                    snapshot[badge_id] = holders
            # Returned as taken, not read back: with a TTL of 0 it is expired at once.
            self._snapshot[_SNAPSHOT] = snapshot
            return snapshot

    async def holdings_of(self, user_id: str) -> list[Holding]:
        """The badges a Quantive user holds, directly or through a team, by badge name."""
        snapshot = await self.snapshot()
        badges = {b.id: b for b in await self._catalogue.badges()}
        out: list[Holding] = []
        for badge_id, holders in snapshot.items():
            badge = badges.get(badge_id)
            if badge is None:
                continue
            if any(u.id == user_id for u in holders.users):
                out.append(Holding(badge))
                continue
            team = next((t for t in holders.teams if user_id in t.members), None)
            if team is not None:
                out.append(Holding(badge, via_team=team.name))
        return sorted(out, key=lambda h: h.badge.name.lower())

    async def leaderboard(self) -> list[Ranked]:
        """People and teams by how many badges they hold, most first."""
        snapshot = await self.snapshot()
        counts: Counter[str] = Counter()
        people: dict[str, Person] = {}
        for holders in snapshot.values():
            for user in holders.users:
                counts[user.id] += 1
                people[user.id] = Person(user.id, user.display_name, user.email)
            for team in holders.teams:
                counts[team.id] += 1
                people[team.id] = Person(team.id, team.name, is_team=True)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], people[kv[0]].name))
        return [Ranked(people[i], n) for i, n in ranked]
