"""Quantive ids to people and teams, looked up in pages and cached for a few minutes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cachetools import TTLCache

from api import QuantiveClient

#: People and teams kept at most: more than a large account has, so the bound only stops
#: a process that meets ever new ids from growing without end (least recently used go).
MAX_CACHED = 10_000


@dataclass(frozen=True)
class Person:
    """A Quantive user or team, as far as messages need it."""

    id: str
    name: str
    email: str = ""
    is_team: bool = False


class PeopleDirectory:
    """Resolves Quantive ids with one call per page of ids, not one per id."""

    def __init__(self, quantive: QuantiveClient, ttl: float = 300.0) -> None:
        self._quantive = quantive
        self._cache: TTLCache[str, Person] = TTLCache(maxsize=MAX_CACHED, ttl=ttl)

    async def lookup(self, ids: Iterable[str]) -> dict[str, Person]:
        """People and teams by id; ids Quantive does not know are left out."""
        wanted = [i for i in dict.fromkeys(ids) if i]
        found: dict[str, Person] = {}
        for i in wanted:
            try:  # one read, not `in` then `[]`: an entry can expire between the two
                found[i] = self._cache[i]
            except KeyError:
                pass
        missing = [i for i in wanted if i not in found]
        if missing:
            for user in await self._quantive.get_users(missing):
                found[user.id] = Person(user.id, user.display_name, user.email)
            teams_wanted = [i for i in missing if i not in found]
            if teams_wanted:
                for team in await self._quantive.get_teams(teams_wanted):
                    found[team.id] = Person(team.id, team.name or team.id, is_team=True)
            for i in missing:
                if i in found:
                    self._cache[i] = found[i]
        return found
