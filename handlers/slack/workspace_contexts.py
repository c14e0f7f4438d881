"""Each workspace's Slack context: the core's services for that workspace (built by
bot.workspace_services) and a Web API client holding that installation's token."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from bot.settings import Settings
from bot.workspace_services import NotConnected, Workspaces
from bot.workspaces import DEFAULT_WORKSPACE
from handlers.slack.app import build_context, default_retry_handlers
from handlers.slack.context import SlackContext
from handlers.slack.recovery import SlackAwardNotices

log = logging.getLogger(__name__)

#: Finds an installation's current bot token (rotated when due) for background work.
TokenSource = Callable[[str], Awaitable[str | None]]


class SlackContexts:
    """The Slack context of every workspace the process serves, built when the core
    builds that workspace's services (:attr:`Workspaces.on_built`)."""

    def __init__(
        self,
        settings: Settings,
        workspaces: Workspaces,
        *,
        retry_handlers: list[AsyncRetryHandler] | None = None,
        tokens: TokenSource | None = None,
    ) -> None:
        self._settings = settings
        self._workspaces = workspaces
        #: The process's store (every workspace's part of it is a view of this one).
        self.store = workspaces.store
        self._retry_handlers = retry_handlers
        #: The installations' tokens, for background work (distribution mode).
        self.tokens = tokens
        self._by_key: dict[str, SlackContext] = {}
        # One aiohttp session for every workspace's client: slack_sdk otherwise opens
        # (and tears down) one per call.
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.slack_timeout)
        )
        workspaces.on_built.append(self._built)

    def _built(self, key: str, services: Services) -> None:
        if key != DEFAULT_WORKSPACE and not key.startswith("slack:"):
            return
        token = self._settings.slack_bot_token
        client = AsyncWebClient(
            token=token.get_secret_value() if token else None,
            base_url=self._settings.slack_api_url.rstrip("/") + "/",
            session=self.session,
            timeout=self._settings.slack_timeout,  # type: ignore[arg-type]
            retry_handlers=(
                default_retry_handlers() if self._retry_handlers is None else self._retry_handlers
            ),
        )
        ctx = build_context(services.settings, services, client)
        services.notices.subscribe(SlackAwardNotices(ctx))
        self._by_key[key] = ctx

    async def for_key(self, key: str, token: str | None = None) -> SlackContext:
        """The workspace's context, its client holding ``token`` when one is given (the
        request's, from Bolt's authorize); NotConnected without a Quantive connection."""
        await self._workspaces.services(key)  # builds them (and the context) when due
        # The hooks ran inside services(): the context of these very services is kept.
        ctx = self._by_key[key if self._workspaces.distributed else DEFAULT_WORKSPACE]
        if token:
            ctx.notifier.client.token = token
        return ctx

    async def for_background(self, key: str) -> SlackContext | None:
        """The context for a background job of the workspace, with its installation's
        current token; None when it is not installed (any more) or not connected."""
        token: str | None = None
        if self._workspaces.distributed:
            token = await self.tokens(key) if self.tokens else None
            if token is None:
                return None
        try:
            return await self.for_key(key, token)
        except NotConnected:
            return None

    async def aclose(self) -> None:
        """Close the shared HTTP session."""
        if not self.session.closed:
            await self.session.close()
