"""The web process: Slack at ``POST /slack/events``, Teams at ``POST /api/messages``, and
``GET /healthz``; one worker runs the core's background jobs and each front end's.

This is a composition root: it builds the core's services and mounts the front ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.in_flight import InFlight
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.worker import Worker
from bot.workspace_jobs import EveryWorkspace
from bot.workspace_services import Workspaces
from bot.workspaces import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from handlers.slack.app import RetryHandlers

log = logging.getLogger(__name__)

#: Chat platforms' payloads are small; anything larger is refused before it is read.
MAX_BODY_BYTES = 1_000_000


def create_web_app(
    settings: Settings,
    *,
    extra_routes: list[BaseRoute] | None = None,
    slack_retry_handlers: RetryHandlers | None = None,
) -> Starlette:
    """The ASGI app. Services are built in the lifespan, inside the serving event loop.

    Slack is served when its settings are present, Teams when the Azure bot registration
    is; ``slack_retry_handlers`` replaces slack_sdk's retry handlers (tests use quick ones).
    """
    in_flight = InFlight()
    slack = _slack_front_end(settings, slack_retry_handlers, in_flight)
    teams = _teams_front_end(settings, in_flight)
    log.info("serving %s", running_front_ends(settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = Store(settings.database)
        try:
            await store.check_schema()  # the CLI said why already; never run behind
        except BaseException:
            await store.aclose()
            raise
        workspaces = Workspaces(settings, store)
        warm: asyncio.Task[None] | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                stack.push_async_callback(workspaces.aclose)
                front_ends: list[Any] = []
                if slack is not None:
                    app.state.slack = await stack.enter_async_context(slack.running(workspaces))
                    front_ends.append(slack)
                if teams is not None:
                    await teams.start(workspaces)
                    stack.push_async_callback(teams.stop)
                    app.state.teams = teams
                    front_ends.append(teams)
                if not workspaces.distributed:
                    services = await workspaces.services(DEFAULT_WORKSPACE)
                    app.state.services = services
                    warm = asyncio.create_task(_warm_catalogue(services))
                worker = Worker(
                    [EveryWorkspace(workspaces, front_ends)], settings.outbox_poll_seconds
                )
                worker.start()
                stack.push_async_callback(worker.stop)
                app.state.worker = worker
                app.state.workspaces = workspaces
                yield
        finally:
            if warm is not None:
                warm.cancel()
            await store.aclose()

    async def slack_events(request: Request) -> Response:
        body = await read_limited(request, MAX_BODY_BYTES)
        if body is None:
            return PlainTextResponse("request body too large", 413)
        assert slack is not None
        return await slack.handle(request, body)

    async def healthz(request: Request) -> Response:
        # The header tells a deploy (or a test) when this process has no work in hand.
        running = str(in_flight.count)
        return PlainTextResponse("ok", headers={"X-Listeners-Running": running})

    routes: list[BaseRoute] = [
        *([Route("/slack/events", slack_events, methods=["POST"])] if slack else []),
        *(slack.routes if slack is not None and settings.slack_distributed else []),
        Route("/healthz", healthz, methods=["GET"]),
        *(teams.routes if teams else []),
        *_dashboard_routes(settings),
        *(extra_routes or []),
    ]
    web = Starlette(routes=routes, lifespan=lifespan)
    web.state.in_flight = in_flight
    return web


def running_front_ends(settings: Settings) -> str:
    """Which chat platforms this process serves, and where, in words for the log."""
    served = []
    if settings.slack_distributed:
        served.append("Slack at POST /slack/events (installed at GET /slack/install)")
    elif settings.slack_enabled:
        served.append("Slack at POST /slack/events")
    if settings.teams_enabled:
        served.append("Teams at POST /api/messages")
    return " and ".join(served) or "no chat platform (set the Slack or Teams settings)"


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as more than ``limit`` bytes have arrived.

    Bytes are counted as they stream in, whatever Content-Length or Transfer-Encoding
    claim, so an oversized body is never buffered.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _slack_front_end(
    settings: Settings, retry_handlers: RetryHandlers | None, in_flight: InFlight
) -> Any:
    """The Slack front end when its settings are present (imported only then, as Teams':
    a Teams-only deployment never loads Bolt)."""
    if not settings.slack_enabled:
        return None
    from handlers.slack.endpoint import SlackEndpoint

    return SlackEndpoint(settings, retry_handlers, in_flight)


def _teams_front_end(settings: Settings, in_flight: InFlight) -> Any:
    """The Teams front end when its settings are present (imported only then: the SDK is
    large and Slack-only deployments never need it)."""
    if not settings.teams_enabled:
        return None
    from handlers.teams.app import TeamsFrontEnd

    return TeamsFrontEnd(settings, lambda request: read_limited(request, MAX_BODY_BYTES), in_flight)


def _dashboard_routes(settings: Settings) -> list[BaseRoute]:
    """The dashboard's routes when it is on (PUBLIC_URL with the Slack or Microsoft app's
    credentials); imported only then, as the front ends are."""
    from handlers.dashboard import dashboard_enabled

    if not dashboard_enabled(settings):
        return []
    from handlers.dashboard.routes import Dashboard

    return list(Dashboard(settings).routes)


async def _warm_catalogue(services: Services) -> None:
    """Fetch the badges once at start, so the first command does not wait for Quantive."""
    try:
        await services.catalogue.badges()
    except Exception as exc:
        log.warning("could not load the badge catalogue at start: %s", exc)
