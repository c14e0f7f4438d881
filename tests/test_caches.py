"""The in-process lookup caches: what they keep, for how long, and that they are bounded."""

from __future__ import annotations

import httpx

import handlers.teams.token
from api.models import Team, User
from bot.people import PeopleDirectory
from handlers.teams.token import RENEW_SECONDS, ConnectorToken


class FakeQuantive:
    """Counts the lookups PeopleDirectory makes."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def get_users(self, ids: list[str]) -> list[User]:
        self.asked.append(list(ids))
        return [User(id=i, email=f"{i}@acme.example") for i in ids if i.startswith("u")]

    async def get_teams(self, ids: list[str]) -> list[Team]:
        return [Team(id=i, name=f"team {i}") for i in ids if i.startswith("t")]


async def test_people_are_looked_up_once_within_the_ttl() -> None:
    quantive = FakeQuantive()
    people = PeopleDirectory(quantive, ttl=300)  # type: ignore[arg-type]
    first = await people.lookup(["u1", "t1", "nobody"])
    assert set(first) == {"u1", "t1"} and first["t1"].is_team
    assert await people.lookup(["u1", "t1"]) == first
    assert quantive.asked == [["u1", "t1", "nobody"]]  # the second read cost nothing
    await people.lookup(["nobody"])
    assert quantive.asked[-1] == ["nobody"]  # an unknown id is asked again, not cached


async def test_people_expire_after_the_ttl_and_the_cache_is_bounded() -> None:
    quantive = FakeQuantive()
    people = PeopleDirectory(quantive, ttl=0)  # type: ignore[arg-type]
    await people.lookup(["u1"])
    await people.lookup(["u1"])
    assert len(quantive.asked) == 2
    assert PeopleDirectory(quantive, ttl=300)._cache.maxsize < 100_000  # type: ignore[arg-type]


async def test_connector_token_is_kept_until_shortly_before_it_expires(monkeypatch) -> None:
    lifetimes = [3600, RENEW_SECONDS - 1]
    issued: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        issued.append(f"t{len(issued)}")
        return httpx.Response(200, json={"access_token": issued[-1], "expires_in": lifetimes[0]})

    real = httpx.AsyncClient

    def client(**options: object) -> httpx.AsyncClient:
        return real(transport=httpx.MockTransport(handler), **options)  # type: ignore[arg-type]

    monkeypatch.setattr(handlers.teams.token.httpx, "AsyncClient", client)
    token = ConnectorToken("https://login.test", "tenant", "app", "secret")
    assert await token() == await token() == "t0"  # valid for an hour: fetched once
    token = ConnectorToken("https://login.test", "tenant", "app", "secret")
    lifetimes.pop(0)
    assert await token() == "t1"
    assert await token() == "t2"  # expires within RENEW_SECONDS: renewed at every call
