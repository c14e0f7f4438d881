"""The web process: Slack's requests at ``POST /slack/events`` and ``GET /healthz``."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.in_flight import InFlight
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


def create_web_app(
    settings: Settings,
    *,
    extra_routes: list[BaseRoute] | None = None,
    slack_retry_handlers: list[AsyncRetryHandler] | None = None,
) -> Starlette:
    """The ASGI app. Services are built in the lifespan, inside the serving event loop.

    ``slack_retry_handlers`` replaces slack_sdk's retry handlers (tests use quick ones).
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = Services.create(settings)
        client = build_slack_client(settings, slack_retry_handlers)
        ctx = build_context(settings, services, client)
        app.state.ctx = ctx
        app.state.bolt_app = build_bolt_app(settings, ctx, client, in_flight)
        warm = asyncio.create_task(_warm_catalogue(services))
        app.state.worker = start_worker(ctx)
        try:
            yield
        finally:
            warm.cancel()
            await app.state.worker.stop()
            await close_slack_client(client)
            await services.aclose()

    in_flight = InFlight()
    verifier = SignatureVerifier(
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )

    async def slack_events(request: Request) -> Response:
        body = await read_limited(request, MAX_BODY_BYTES)
        if body is None:
            return PlainTextResponse("request body too large", 413)
        # Bolt parses the body before it checks the signature, and a malformed payload
        # would surface as a 500; so check the signature, then the payload, here first.
        if not signature_is_valid(verifier, body, request.headers):
            return PlainTextResponse("invalid signature", 401)
        payload = parse_slack_body(body, request.headers.get("content-type", ""))
        if payload is None:
            log.warning("ignored a signed request whose payload is malformed")
            return Response(status_code=200)
        ctx = request.app.state.ctx
        key = replay_key(payload)
        if key is not None and not ctx.services.store.first_sighting(key, REPLAY_WINDOW):
            log.info("ignored a request already handled (%s)", key.partition(":")[0])
            return Response(status_code=200)
        in_flight.begin()
        try:
            bolt_response = await request.app.state.bolt_app.async_dispatch(
                to_async_bolt_request(request, body)
            )
            # Let the listener's task (started by Bolt after the ack) count itself in.
            await asyncio.sleep(0)
        except Exception as exc:  # a listener's bug must not become Slack's 500
            log.error("request failed before the ack: %s: %s", type(exc).__name__, exc)
            return Response(status_code=200)
        finally:
            in_flight.end()
        if bolt_response.status == 404:
            # Bolt's "unhandled request": nothing here listens for it. Acknowledge it, so
            # Slack shows no error, and do nothing.
            log.info("ignored a request no listener handles")
            return Response(status_code=200)
        if bolt_response.status >= 500:
            return Response(status_code=200)
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes: list[BaseRoute] = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *(extra_routes or []),
    ]
    web = Starlette(routes=routes, lifespan=lifespan)
    web.state.in_flight = in_flight
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


def signature_is_valid(
    verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]
) -> bool:
    """Slack's signature check, false (never an exception) for any malformed header."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp.isdigit() or len(timestamp) > 12 or not signature:
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, TypeError, UnicodeError):
        return False


#: The payload types whose listeners read ``user.id``; Slack always sends it.
_PAYLOADS_WITH_USER = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    }
)


def parse_slack_body(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The request as Bolt will read it, or None when Bolt would trip on it.

    JSON events, slash commands, and interactive payloads whose JSON has the shape Slack
    always sends (Bolt and the listeners index into it unchecked).
    """
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            event = json.loads(text or "{}")
            return event if isinstance(event, dict) else None
        form = urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=False)
        if "payload" not in form:
            flat = {k: v[0] for k, v in form.items()}
            if "command" in flat and not flat.get("user_id"):
                return None
            return flat
        payload = json.loads(form["payload"][0])
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    for part in ("user", "team", "channel", "message", "container", "view"):
        if part in payload and not isinstance(payload[part], dict):
            return None
    kind = payload.get("type")
    if kind in _PAYLOADS_WITH_USER and not isinstance((payload.get("user") or {}).get("id"), str):
        return None
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not (isinstance(view, dict) and isinstance(view.get("type"), str)):
            return None
    if kind == "block_actions":
        actions = payload.get("actions")
        if not (
            isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)
        ):
            return None
    return payload


#: How long a trigger_id or event_id is remembered: well past Slack's 5-minute signing
#: window, so a replayed request is refused for as long as its signature would pass.
REPLAY_WINDOW = 3600.0


def replay_key(payload: dict[str, Any]) -> str | None:
    """What makes one invocation unique: its trigger_id (commands, clicks, forms) or its
    event_id (Events API, whose retries repeat the id). None for options requests."""
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    trigger = payload.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        return f"trigger:{trigger}"
    return None


async def _warm_catalogue(services: Services) -> None:
    """Fetch the badges once at start, so the first command does not wait for Quantive."""
    try:
        await services.catalogue.badges()
    except Exception as exc:
        log.warning("could not load the badge catalogue at start: %s", exc)
