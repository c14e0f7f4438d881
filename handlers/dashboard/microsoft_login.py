"""Sign in with Microsoft (Entra ID) through msal's authorization-code flow, with the
Teams app's registration (TEAMS_APP_ID, TEAMS_APP_PASSWORD) at TEAMS_LOGIN_URL.

msal is synchronous (requests): each call runs in a worker thread, never on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import msal

from bot.settings import Settings
from handlers.dashboard.slack_login import SignInFailed

log = logging.getLogger(__name__)

#: Only the sign-in's own claims: no Graph permission is asked for.
SCOPES: list[str] = []


@dataclass(frozen=True)
class MicrosoftIdentity:
    """Who signed in, from the id token's claims."""

    object_id: str
    tenant_id: str
    name: str
    email: str


class MicrosoftSignIn:
    """The Entra app's confidential client, built on first use (its authority's OpenID
    document is read then, in a thread)."""

    def __init__(self, settings: Settings, redirect_uri: str, http_client: Any = None) -> None:
        assert settings.teams_app_id and settings.teams_app_password
        # Many tenants sign in at "organizations"; one tenant at its own authority, so
        # Entra itself refuses people of other organisations.
        tenant = "organizations" if settings.teams_multi_tenant else settings.teams_tenant_id
        self.authority = f"{settings.teams_login_url.rstrip('/')}/{tenant}"
        self.redirect_uri = redirect_uri
        self._client_id = settings.teams_app_id
        self._secret = settings.teams_app_password.get_secret_value()
        self._http_client = http_client
        self._app: msal.ConfidentialClientApplication | None = None

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            options: dict[str, Any] = {}
            if self._http_client is not None:
                options["http_client"] = self._http_client
            self._app = msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._secret,
                authority=self.authority,
                # TEAMS_LOGIN_URL may be a sovereign cloud or a test's authority:
                # msal's instance discovery knows only Microsoft's public hosts.
                instance_discovery=False,
                validate_authority=False,
                token_cache=None,
                **options,
            )
        return self._app

    async def start(self) -> dict[str, Any]:
        """A new flow: its ``auth_uri`` for the browser; keep the rest for :meth:`finish`."""

        def initiate() -> dict[str, Any]:
            return self._application().initiate_auth_code_flow(
                SCOPES, redirect_uri=self.redirect_uri
            )

        try:
            return await asyncio.to_thread(initiate)
        except Exception as exc:
            log.warning("Microsoft sign-in could not start: %s", exc)
            raise SignInFailed("Microsoft's sign-in could not be reached.") from None

    async def finish(self, flow: dict[str, Any], query: dict[str, str]) -> MicrosoftIdentity:
        """The person of a flow's answer; msal checks state and nonce against ``flow``."""

        def acquire() -> dict[str, Any]:
            return self._application().acquire_token_by_auth_code_flow(flow, query)

        try:
            result = await asyncio.to_thread(acquire)
        except ValueError as exc:  # msal's word for a state or nonce that does not match
            log.info("Microsoft sign-in refused: %s", exc)
            raise SignInFailed("That sign-in was not started here. Start again.") from None
        except Exception as exc:
            log.warning("Microsoft sign-in failed: %s", type(exc).__name__)
            raise SignInFailed("Microsoft could not be reached. Try again in a minute.") from None
        if "error" in result:
            log.info("Microsoft sign-in refused: %s", result.get("error"))
            raise SignInFailed("Microsoft did not confirm the sign-in. Try again.")
        claims = result.get("id_token_claims") or {}
        object_id, tenant_id = claims.get("oid"), claims.get("tid")
        if not isinstance(object_id, str) or not isinstance(tenant_id, str):
            raise SignInFailed("Microsoft did not say who signed in.")
        email = claims.get("email") or claims.get("preferred_username") or ""
        return MicrosoftIdentity(object_id, tenant_id, str(claims.get("name") or ""), str(email))
