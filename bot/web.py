"""The web process: Slack's requests at ``POST /slack/events`` and ``GET /healthz``.

This is a composition root: it builds the core's services and mounts the front ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.services import Services
from bot.settings import Settings
from handlers.slack.app import RetryHandlers
from handlers.slack.endpoint import SlackEndpoint

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

    ``slack_retry_handlers`` replaces slack_sdk's retry handlers (tests use quick ones).
    """
    slack = SlackEndpoint(settings, slack_retry_handlers)
    teams = _teams_front_end(settings)
    log.info(
        "serving Slack at POST /slack/events; %s",
        "Teams at POST /api/messages" if teams else "Teams is not configured (TEAMS_APP_ID)",
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = Services.create(settings)
        try:
            await services.store.check_schema()  # the CLI said why already; never run behind
        except BaseException:
            await services.aclose()
            raise
        if teams is not None:
            await teams.start(services)
        warm = asyncio.create_task(_warm_catalogue(services))
        try:
            async with slack.running(services) as ctx:
                app.state.ctx = ctx
                app.state.worker = slack.worker
                yield
        finally:
            warm.cancel()
            await services.aclose()

    async def slack_events(request: Request) -> Response:
        body = await read_limited(request, MAX_BODY_BYTES)
        if body is None:
            return PlainTextResponse("request body too large", 413)
        return await slack.handle(request, body)

    async def healthz(request: Request) -> Response:
        # The header tells a deploy (or a test) when this process has no work in hand.
        running = str(slack.in_flight.count)
        return PlainTextResponse("ok", headers={"X-Listeners-Running": running})

    routes: list[BaseRoute] = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *(teams.routes if teams else []),
        *(extra_routes or []),
    ]
    web = Starlette(routes=routes, lifespan=lifespan)
    web.state.in_flight = slack.in_flight
    return web


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


def _teams_front_end(settings: Settings) -> Any:
    """The Teams front end when its settings are present (imported only then: the SDK is
    large and Slack-only deployments never need it)."""
    if not settings.teams_enabled:
        return None
    from handlers.teams.app import TeamsFrontEnd

    return TeamsFrontEnd(settings, lambda request: read_limited(request, MAX_BODY_BYTES))


async def _warm_catalogue(services: Services) -> None:
    """Fetch the badges once at start, so the first command does not wait for Quantive."""
    try:
        await services.catalogue.badges()
    except Exception as exc:
        log.warning("could not load the badge catalogue at start: %s", exc)
