"""The bot's outbound tokens: OAuth client credentials against
``{TEAMS_LOGIN_URL}/{tenant}/oauth2/v2.0/token``, cached until shortly before they expire.
One scope per token: the Bot Connector's (the home tenant's) by default, Microsoft Graph's
(each customer tenant's) for reading tags. Done here with httpx rather than by the SDK's
msal, so that every address the bot calls comes from the settings (and tests can answer it
on loopback)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from cachetools import TLRUCache

#: The Bot Framework's scope for connector calls.
BOT_SCOPE = "https://api.botframework.com/.default"
#: Microsoft Graph's scope: the application permissions an admin granted the app.
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
#: A token is renewed this long before it expires.
RENEW_SECONDS = 300


@dataclass(frozen=True)
class _Grant:
    """An access token and how many seconds it is valid for, as the endpoint said."""

    token: str
    lifetime: float


def _renew_at(_key: str, grant: _Grant, now: float) -> float:
    """When a grant leaves the cache: RENEW_SECONDS before the token expires."""
    return now + grant.lifetime - RENEW_SECONDS


class TokenError(RuntimeError):
    """The token endpoint refused the credentials or did not answer."""


class ConnectorToken:
    """A callable the SDK asks for a token (its ``token`` option); ``scope`` is what the
    token is for (the connector's unless told)."""

    def __init__(
        self, login_url: str, tenant_id: str, app_id: str, password: str, scope: str = BOT_SCOPE
    ) -> None:
        self._scope = scope
        self._url = f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self._form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": password,
            "scope": scope,
        }
        # One entry; its time to live is the token's own lifetime, so a TLRU cache.
        self._grant: TLRUCache[str, _Grant] = TLRUCache(maxsize=1, ttu=_renew_at)
        self._lock = asyncio.Lock()

    async def __call__(self, *scopes: object, **options: object) -> str:
        """A valid access token, fetched when the cached one is about to expire."""
        async with self._lock:
            try:  # one read, not `in` then `[]`: the entry can expire between the two
                return self._grant[self._scope].token
            except KeyError:
                pass
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    answer = await client.post(self._url, data=self._form)
            except httpx.HTTPError as exc:
                raise TokenError(
                    f"the token endpoint did not answer ({type(exc).__name__})"
                ) from None
            if answer.status_code != 200:
                # The body can quote the request; say only what failed.
                raise TokenError(f"the token endpoint answered {answer.status_code}")
            body = answer.json()
            grant = _Grant(str(body["access_token"]), float(body.get("expires_in", 3600)))
            # Returned as fetched, not read back: a token that lives less than
            # RENEW_SECONDS is not kept at all.
            self._grant[self._scope] = grant
            return grant.token
