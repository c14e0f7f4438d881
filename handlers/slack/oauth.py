"""Slack's one-click install ("Add to Slack", issue 22): the OAuth flow, the token
lookups of background jobs (with rotation), and forgetting an uninstalled workspace.

:class:`SlackInstalls` is built inside the serving event loop from the settings
(SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, PUBLIC_URL, BADGEBOT_SECRET_KEY, DATABASE_URL):

- ``routes``: ``GET /slack/install`` (the "Add to Slack" page) and
  ``GET /slack/oauth_redirect`` (Slack sends the installer back there);
- ``flow`` for ``AsyncApp(oauth_flow=...)``: Bolt then finds each request's token in the
  same encrypted store, rotating it when it is about to expire;
- :meth:`SlackInstalls.bot_token` for work no request started (the outbox, the digest);
- :meth:`SlackInstalls.forget` for ``app_uninstalled`` and ``tokens_revoked``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.secrets import SecretBox
from bot.settings import Settings
from bot.store.database import create_engine
from bot.workspaces import slack_workspace
from handlers.slack.install_pages import (
    authorize_url,
    failure_page,
    home_tab_url,
    install_page,
    success_page,
)
from handlers.slack.installations import EncryptedInstallationStore, SingleUseStateStore

log = logging.getLogger(__name__)

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
AUTHORIZATION_URL = "https://slack.com/oauth/v2/authorize"
#: How long an install may take from the install page to Slack's redirect (Bolt's default).
STATE_SECONDS = 600

#: Called with each completed installation, its tokens in clear, before the success page
#: is shown: keep it short (or start a task), the installer's browser waits for it.
InstalledHook = Callable[[Installation], Awaitable[None]]


class InstallSettingsError(ValueError):
    """A setting "Add to Slack" needs is missing or malformed."""


def manifest_bot_scopes(path: Path = MANIFEST) -> list[str]:
    """The bot scopes of the Slack app's manifest, its single source of truth."""
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
        scopes = manifest["oauth_config"]["scopes"]["bot"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise InstallSettingsError(f"cannot read the bot scopes of {path}: {exc}") from None
    if not (isinstance(scopes, list) and scopes and all(isinstance(s, str) for s in scopes)):
        raise InstallSettingsError(f"{path}: oauth_config.scopes.bot is not a list of scopes")
    return [s.strip() for s in scopes]


class SlackInstalls:
    """The OAuth flow, its stores and the token lookups, on one engine and one client."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: AsyncEngine | None = None,
        client: AsyncWebClient | None = None,
        on_installed: InstalledHook | None = None,
        scopes: list[str] | None = None,
        authorization_url: str = AUTHORIZATION_URL,
    ) -> None:
        """Build it inside the running loop (the client's aiohttp session belongs to it).

        ``engine`` may be the store's (bot.store), so SQLite keeps one connection per
        process; ``client`` may be the front end's. Either is made (and closed by
        :meth:`aclose`) when not given.
        """
        client_id, secret = settings.slack_client_id, settings.slack_client_secret
        if not client_id or not secret or not secret.get_secret_value():
            raise InstallSettingsError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set")
        public = (settings.public_url or "").rstrip("/")
        if not public.startswith(("https://", "http://")):
            raise InstallSettingsError("PUBLIC_URL must be the web process's https:// URL")
        self._own_engine = engine is None
        self.engine = engine or create_engine(settings.database)
        self._own_client = client is None
        self.client = client or AsyncWebClient(
            base_url=settings.slack_api_url.rstrip("/") + "/",
            timeout=int(settings.slack_timeout),
            session=aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=settings.slack_timeout)
            ),
        )
        self.installation_store = EncryptedInstallationStore(
            client_id, self.engine, SecretBox(settings.secret_key)
        )
        self.state_store = SingleUseStateStore(STATE_SECONDS, self.engine, logger=log)
        self.scopes = scopes if scopes is not None else manifest_bot_scopes()
        self.redirect_uri = public + REDIRECT_PATH
        self.authorization_url = authorization_url
        self._on_installed = on_installed
        self.oauth_settings = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=secret.get_secret_value(),
            scopes=self.scopes,
            user_scopes=[],
            redirect_uri=self.redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            authorization_url=authorization_url,
            installation_store=self.installation_store,
            state_store=self.state_store,
            state_expiration_seconds=STATE_SECONDS,
            callback_options=AsyncCallbackOptions(success=self._succeeded, failure=self._failed),
            logger=log,
        )
        self.rotation_minutes = self.oauth_settings.token_rotation_expiration_minutes
        # Bolt's own authorize would rotate through a client of its own making, which
        # always calls slack.com; this one calls SLACK_API_URL, as every other call does.
        self.oauth_settings.authorize = AsyncInstallationStoreAuthorize(
            logger=log,
            installation_store=self.installation_store,
            client_id=client_id,
            client_secret=secret.get_secret_value(),
            token_rotation_expiration_minutes=self.rotation_minutes,
            client=self.client,
        )
        self.flow = AsyncOAuthFlow(client=self.client, logger=log, settings=self.oauth_settings)
        self._rotator = AsyncTokenRotator(
            client_id=client_id, client_secret=secret.get_secret_value(), client=self.client
        )
        # One rotation at a time per workspace in this process: two jobs that both find
        # the token expiring would otherwise both spend the refresh token.
        self._rotating: collections.defaultdict[str, asyncio.Lock] = collections.defaultdict(
            asyncio.Lock
        )
        self.routes = [
            Route(INSTALL_PATH, self.install, methods=["GET"]),
            Route(REDIRECT_PATH, self.oauth_redirect, methods=["GET"]),
        ]

    # --- the routes -----------------------------------------------------------------

    async def install(self, request: Request) -> Response:
        """``GET /slack/install``: a new state (also set as a cookie, which the redirect
        must bring back), and the page linking to Slack's authorize URL."""
        try:
            state = await self.state_store.async_issue()
        except Exception as exc:  # the database: say so, rather than a 500
            log.error("install page: cannot record a state: %s", type(exc).__name__)
            return self._page(failure_page("unavailable", INSTALL_PATH), 503)
        team = request.query_params.get("team")
        url = authorize_url(
            self.authorization_url,
            client_id=self.oauth_settings.client_id,
            scopes=self.scopes,
            redirect_uri=self.redirect_uri,
            state=state,
            # Slack's "install into this workspace" hint, passed on only when it is one.
            team=team if team and slack_workspace(team, None, False) else None,
        )
        response = self._page(install_page(url), 200)
        cookie = self.oauth_settings.state_utils.build_set_cookie_for_new_state(state)
        response.headers.append("set-cookie", cookie)
        return response

    async def oauth_redirect(self, request: Request) -> Response:
        """``GET /slack/oauth_redirect``: Bolt's callback (state and browser checked, code
        exchanged, installation saved), answered with this module's pages."""
        headers = {key: request.headers.getlist(key) for key in request.headers}
        bolt_request = AsyncBoltRequest(body="", query=request.url.query, headers=headers)
        try:
            answer = await self.flow.handle_callback(bolt_request)
        except Exception as exc:  # the database or Slack unreachable: a page, not a 500
            log.error("install not completed: %s: %s", type(exc).__name__, exc)
            return self._page(failure_page("unavailable", INSTALL_PATH), 503)
        response = to_starlette_response(answer)
        response.headers["cache-control"] = "no-store"
        return response

    async def _succeeded(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        name = installation.enterprise_name if installation.is_enterprise_install else None
        key = slack_workspace(
            installation.team_id,
            installation.enterprise_id,
            bool(installation.is_enterprise_install),
        )
        if key is None:
            # Slack never sends such ids; a workspace without a key could be served by
            # nothing, so the saved installation is taken back.
            log.error("refused an install whose workspace ids are malformed")
            await self.installation_store.async_delete_all(
                enterprise_id=installation.enterprise_id, team_id=installation.team_id
            )
            return self._bolt_page(failure_page("storage_error", INSTALL_PATH), 400)
        log.info("installed into %s", key)
        if self._on_installed is not None:
            try:
                await self._on_installed(installation)
            except Exception as exc:  # the install is saved; a greeting must not undo that
                log.error("on_installed failed: %s: %s", type(exc).__name__, exc)
        body = success_page(
            name or installation.team_name,
            home_tab_url(installation.app_id, installation.team_id),
        )
        return self._bolt_page(body, 200)

    async def _failed(self, args: AsyncFailureArgs) -> BoltResponse:
        log.info("install not completed: %s", args.reason)
        status = 503 if args.suggested_status_code >= 500 else args.suggested_status_code
        return self._bolt_page(failure_page(args.reason, INSTALL_PATH), status)

    def _bolt_page(self, body: str, status: int) -> BoltResponse:
        # The state cookie has done its work either way: drop it.
        deletion = self.oauth_settings.state_utils.build_set_cookie_for_deletion()
        return BoltResponse(
            status=status,
            body=body,
            headers={"Content-Type": "text/html; charset=utf-8", "Set-Cookie": [deletion]},
        )

    @staticmethod
    def _page(body: str, status: int) -> Response:
        # A state is single use: a page holding one must never come from a cache.
        return HTMLResponse(body, status, headers={"cache-control": "no-store"})

    # --- background jobs --------------------------------------------------------------

    async def installation(
        self, team_id: str | None, enterprise_id: str | None, org_wide: bool
    ) -> Installation | None:
        """The latest installation serving a workspace (or, ``org_wide``, every workspace
        of an Enterprise Grid org), tokens in clear; None when not installed.

        ``enterprise_id`` may be None for a grid workspace installed on its own: it is
        read from the stored installation (a workspace key does not carry it).
        """
        if slack_workspace(team_id, enterprise_id, org_wide) is None:
            return None
        if org_wide:
            return await self.installation_store.async_find_installation(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        assert team_id is not None  # slack_workspace() checked it
        enterprise = enterprise_id or await self.installation_store.enterprise_of(team_id)
        return await self.installation_store.async_find_installation(
            enterprise_id=enterprise, team_id=team_id
        )

    async def bot_token(
        self, team_id: str | None, enterprise_id: str | None, org_wide: bool
    ) -> str | None:
        """The bot token for work in a workspace that no request started; a token about
        to expire (within ``rotation_minutes``) is rotated first and the new one saved.
        None when the workspace is not installed or its token cannot be had."""
        key = slack_workspace(team_id, enterprise_id, org_wide)
        if key is None:
            return None
        async with self._rotating[key]:
            found = await self.installation(team_id, enterprise_id, org_wide)
            if found is None or not found.bot_token:
                return None
            if not found.bot_refresh_token:
                return found.bot_token  # a token that never expires
            try:
                rotated = await self._rotator.perform_token_rotation(
                    installation=found, minutes_before_expiration=self.rotation_minutes
                )
            except SlackTokenRotationError as exc:
                log.error("token rotation failed for %s: %s", key, exc.api_error)
                return found.bot_token if _still_valid(found) else None
            if rotated is None:
                return found.bot_token
            await self.installation_store.async_save(rotated)
            log.info("rotated the bot token of %s", key)
            return rotated.bot_token

    async def forget(self, team_id: str | None, enterprise_id: str | None, org_wide: bool) -> bool:
        """Delete the installation rows (installations and bots) of one workspace, or of
        an org-wide install, and nothing of any other; False (and nothing deleted) when
        the ids name no workspace."""
        if slack_workspace(team_id, enterprise_id, org_wide) is None:
            return False
        store = self.installation_store
        if org_wide:
            await store.async_delete_all(enterprise_id=enterprise_id, team_id=None)
            return True
        assert team_id is not None
        enterprise = enterprise_id or await store.enterprise_of(team_id)
        await store.async_delete_all(enterprise_id=enterprise, team_id=team_id)
        return True

    async def aclose(self) -> None:
        """Close what this object made: its client's session, its engine."""
        if self._own_client and self.client.session is not None:
            await self.client.session.close()
        if self._own_engine:
            await self.engine.dispose()


def _still_valid(installation: Installation, margin: float = 60.0) -> bool:
    expires: Any = installation.bot_token_expires_at
    return expires is None or expires > time.time() + margin
