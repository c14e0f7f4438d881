"""The bot's outbound token for the Bot Connector: OAuth client credentials against
``{TEAMS_LOGIN_URL}/{TEAMS_TENANT_ID}/oauth2/v2.0/token``, cached until shortly before it
expires. Done here with httpx rather than by the SDK's msal, so that every address the
bot calls comes from the settings (and tests can answer it on loopback)."""

from __future__ import annotations

import asyncio
import time

import httpx

#: The Bot Framework's scope for connector calls.
BOT_SCOPE = "https://api.botframework.com/.default"
#: A token is renewed this long before it expires.
RENEW_SECONDS = 300


class TokenError(RuntimeError):
    """The token endpoint refused the credentials or did not answer."""


class ConnectorToken:
    """A callable the SDK asks for a token (its ``token`` option)."""

    def __init__(self, login_url: str, tenant_id: str, app_id: str, password: str) -> None:
        self._url = f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self._form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": password,
            "scope": BOT_SCOPE,
        }
        self._token = ""
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def __call__(self, *scopes: object, **options: object) -> str:
        """A valid access token, fetched when the cached one is about to expire."""
        async with self._lock:
            if time.time() < self._expires_at - RENEW_SECONDS:
                return self._token
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
            self._token = str(body["access_token"])
            self._expires_at = time.time() + float(body.get("expires_in", 3600))
            return self._token
