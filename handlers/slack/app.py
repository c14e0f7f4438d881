"""Wiring: the Slack Web API client, the Bolt app and the listeners, from the settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.listener.async_listener_completion_handler import (
    AsyncListenerCompletionHandler,
)
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.digest import DigestJob
from bot.in_flight import InFlight
from bot.recap import RecapJob
from bot.services import Services, give_slots
from bot.settings import Settings
from handlers.slack import register
from handlers.slack.connect import ConnectFlow
from handlers.slack.context import SlackContext
from handlers.slack.delivery import SlackDelivery
from handlers.slack.digest_publisher import SlackDigestPublisher, SlackRecapPublisher
from handlers.slack.directory import SlackDirectory
from handlers.slack.notifications import Notifier

log = logging.getLogger(__name__)


#: slack_sdk's retry handlers, as the composition root may pass them in.
RetryHandlers = list[AsyncRetryHandler]


def default_retry_handlers() -> RetryHandlers:
    """slack_sdk's own handlers for 429s (they honour Retry-After), 5xx and lost
    connections; tests pass quicker ones to :func:`build_slack_client`."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=5),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def build_slack_client(
    settings: Settings, retry_handlers: list[AsyncRetryHandler] | None = None
) -> AsyncWebClient:
    """The one Web API client of the process; it retries 429s, 5xx and connection errors.

    Must be built inside the running loop: it holds one aiohttp session for every call,
    because slack_sdk otherwise opens (and tears down) a session per call.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url.rstrip("/") + "/",
        session=aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.slack_timeout)),
        timeout=settings.slack_timeout,  # type: ignore[arg-type]  # aiohttp takes a float
        retry_handlers=default_retry_handlers() if retry_handlers is None else retry_handlers,
    )


def build_context(settings: Settings, services: Services, client: AsyncWebClient) -> SlackContext:
    """The Slack-side helpers around the domain services."""
    delivery = SlackDelivery(client, services.store, services.outbox)
    directory = SlackDirectory(client)
    digest = DigestJob(services, SlackDigestPublisher(client, directory), services.people)
    notifier = Notifier(
        delivery,
        services.store,
        approvers=settings.badge_approvers,
        approval_channel=settings.badge_approval_channel,
        announce_channel=settings.badge_announce_channel,
        redraw_digest=digest.redraw,
    )
    return SlackContext(
        services=services,
        directory=directory,
        notifier=notifier,
        digest=digest,
        recap=RecapJob(services, SlackRecapPublisher(client)),
        give_slots=give_slots(settings),
    )


class _ListenerStarted(AsyncListenerStartHandler):
    def __init__(self, in_flight: InFlight) -> None:
        self._in_flight = in_flight

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        self._in_flight.begin()


class _ListenerFinished(AsyncListenerCompletionHandler):
    def __init__(self, in_flight: InFlight) -> None:
        self._in_flight = in_flight

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        self._in_flight.end()


def build_bolt_app(
    settings: Settings,
    client: AsyncWebClient,
    choose_workspace: Callable[..., Awaitable[Any]],
    in_flight: InFlight | None = None,
    connect: ConnectFlow | None = None,
    **bolt_options: Any,
) -> AsyncApp:
    """The Bolt app with every listener registered. ``choose_workspace`` is the global
    middleware that gives each request its workspace's context; ``in_flight`` counts each
    listener until it has finished, work after the ack included; ``bolt_options`` are the
    distribution mode's (the installation store and OAuth settings, for Bolt's authorize)."""
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client,
        signing_secret=secret.get_secret_value() if secret else None,
        # handlers/slack_endpoint.py checks the signature (and timestamp) before Bolt
        # parses the body, which Bolt would do first; checking again here would only repeat
        # the HMAC per request.
        # Socket Mode has no signatures to check.
        request_verification_enabled=False,
        # Listeners ack first and keep working afterwards; Slack gets its answer at once.
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        **bolt_options,
    )

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        # One line, no payload: payloads can hold user text, and tracebacks are noise here.
        kind = body.get("type") or ("command" if "command" in body else "request")
        log.error("listener failed on %s: %s: %s", kind, type(error).__name__, error)

    if in_flight is not None:
        app.listener_runner.listener_start_handler = _ListenerStarted(in_flight)
        app.listener_runner.listener_completion_handler = _ListenerFinished(in_flight)
    app.use(choose_workspace)
    register(app, connect)
    return app


@asynccontextmanager
async def slack_runtime(
    settings: Settings, retry_handlers: list[AsyncRetryHandler] | None = None
) -> AsyncIterator[SlackContext]:
    """Services and Slack helpers for a process without a web server (clock, digest)."""
    services = Services.create(settings)
    client = build_slack_client(settings, retry_handlers)
    try:
        yield build_context(settings, services, client)
    finally:
        await close_slack_client(client)
        await services.aclose()


async def run_socket_mode(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve Slack over Socket Mode (``python -m bot socket``) until ``stop`` is set (or
    the task is cancelled); then the connection is closed and the worker stopped."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from handlers.slack.dispatch import single_workspace
    from handlers.slack.recovery import start_worker

    async with slack_runtime(settings) as ctx:
        app = build_bolt_app(settings, ctx.notifier.client, single_workspace(ctx))
        token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        worker = start_worker(ctx)
        handler = AsyncSocketModeHandler(app, token)
        try:
            await handler.connect_async()
            await (stop or asyncio.Event()).wait()
        finally:
            await handler.close_async()
            await worker.stop()
            log.info("socket mode stopped")


async def close_slack_client(client: AsyncWebClient) -> None:
    """Close the client's shared aiohttp session."""
    if client.session is not None and not client.session.closed:
        await client.session.close()
