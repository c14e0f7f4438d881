"""The web process: Slack's requests at ``POST /slack/events`` and ``GET /healthz``."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.services import Services
from bot.settings import Settings
from bot.slack_app import (
    build_bolt_app,
    build_context,
    build_slack_client,
    close_slack_client,
)
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
            await close_slack_client(client)
            await services.aclose()

    verifier = SignatureVerifier(
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )

    async def slack_events(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return PlainTextResponse("request body too large or without length", 413)
        body = await request.body()
        # Bolt parses the body before it checks the signature, and a malformed payload
        # would surface as a 500; so check the signature, then the payload, here first.
        if not verifier.is_valid_request(body, dict(request.headers)):
            return PlainTextResponse("invalid signature", 401)
        if not _payload_is_well_formed(body, request.headers.get("content-type", "")):
            log.warning("ignored a signed request whose payload is malformed")
            return Response(status_code=200)
        response = await request.app.state.slack_handler.handle(request)
        if response.status_code == 404:
            # Bolt's "unhandled request": nothing here listens for it. Acknowledge it, so
            # Slack shows no error, and do nothing.
            log.info("ignored a request no listener handles")
            return Response(status_code=200)
        return response

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes: list[BaseRoute] = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *(extra_routes or []),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _payload_is_well_formed(body: bytes, content_type: str) -> bool:
    """Whether Bolt can read the body without tripping: JSON events, or forms whose payload
    is a JSON object with the shape Slack always sends (Bolt indexes into it unchecked)."""
    try:
        if content_type.startswith("application/json"):
            return isinstance(json.loads(body or b"{}"), dict)
        form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
        if "payload" not in form:
            return True
        payload = json.loads(form["payload"][0])
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(payload, dict):
        return False
    kind = payload.get("type")
    for part in ("user", "team", "channel", "message", "container", "view"):
        if part in payload and not isinstance(payload[part], dict):
            return False
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        return isinstance(view, dict) and isinstance(view.get("type"), str)
    if kind == "block_actions":
        actions = payload.get("actions")
        return isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    return True


async def _warm_catalogue(services: Services) -> None:
    """Fetch the badges once at start, so the first command does not wait for Quantive."""
    try:
        await services.catalogue.badges()
    except Exception as exc:
        log.warning("could not load the badge catalogue at start: %s", exc)
