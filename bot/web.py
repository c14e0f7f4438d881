"""The web process: Slack's requests at ``POST /slack/events`` and ``GET /healthz``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.services import Services
from bot.settings import Settings
from bot.slack_app import build_bolt_app, build_context, build_slack_client
from handlers.recovery import start_worker

log = logging.getLogger(__name__)

#: Slack's payloads are small; anything larger is refused before it is read.
MAX_BODY_BYTES = 1_000_000


def create_web_app(settings: Settings, *, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The ASGI app. Services are built in the lifespan, inside the serving event loop."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = Services.create(settings)
        client = build_slack_client(settings)
        ctx = build_context(settings, services, client)
        app.state.ctx = ctx
        app.state.slack_handler = AsyncSlackRequestHandler(build_bolt_app(settings, ctx, client))
        warm = asyncio.create_task(_warm_catalogue(services))
        app.state.worker = start_worker(ctx)
        try:
            yield
        finally:
            warm.cancel()
            await app.state.worker.stop()
            await services.aclose()

    async def slack_events(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return PlainTextResponse("request body too large or without length", 413)
        return await request.app.state.slack_handler.handle(request)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes: list[BaseRoute] = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *(extra_routes or []),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _warm_catalogue(services: Services) -> None:
    """Fetch the badges once at start, so the first command does not wait for Quantive."""
    try:
        await services.catalogue.badges()
    except Exception as exc:
        log.warning("could not load the badge catalogue at start: %s", exc)
