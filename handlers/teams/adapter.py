"""Mounts the Teams SDK's routes (``POST /api/messages``) into the bot's own Starlette app,
as the SDK's HttpServerAdapter protocol asks, so Slack and Teams share one server."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

#: Reads a request's body within the web app's size limit; None when it is over.
BodyReader = Callable[[Request], Awaitable[bytes | None]]


class StarletteAdapter:
    """The SDK's routes served by the web app: :meth:`route` makes the Starlette route at
    once, and the SDK fills in its handler when it initialises (in the lifespan)."""

    def __init__(self, read_body: BodyReader) -> None:
        self._handlers: dict[tuple[str, str], Any] = {}
        self._read_body = read_body

    def register_route(self, method: str, path: str, handler: Any) -> None:
        """Called by the SDK for each route it serves."""
        self._handlers[(method.upper(), path)] = handler

    def route(self, path: str, method: str = "POST") -> Route:
        """The Starlette route for one of the SDK's routes."""

        async def endpoint(request: Request) -> Response:
            handler = self._handlers.get((method, path))
            if handler is None:
                return PlainTextResponse("Teams is starting", 503)
            raw = await self._read_body(request)
            if raw is None:
                return PlainTextResponse("request body too large", 413)
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return PlainTextResponse("the body is not JSON", 400)
            if not isinstance(body, dict):
                return PlainTextResponse("the body is not an activity", 400)
            try:
                result = await handler({"body": body, "headers": dict(request.headers)})
            except Exception as exc:  # Teams backs off from bots that answer 500
                log.error("Teams activity failed: %s: %s", type(exc).__name__, exc)
                return PlainTextResponse("the activity could not be handled", 400)
            status = int(result.get("status", 200))
            if status >= 500:
                # The SDK answers 500 to an authenticated activity it cannot parse; Teams
                # backs off from bots that answer 500, so say "bad request" instead.
                log.warning("Teams activity refused by the SDK (%d): answered 400", status)
                return PlainTextResponse("the activity could not be handled", 400)
            payload = result.get("body")
            if payload is None:
                return Response(status_code=status)
            return JSONResponse(payload, status_code=status)

        return Route(path, endpoint, methods=[method])

    def serve_static(self, path: str, directory: str) -> None:
        """The bot serves no static files."""

    async def start(self, port: int) -> None:
        """Never called: the bot's own server runs the app."""
        raise RuntimeError("the Teams routes are mounted in the bot's web app")

    async def stop(self) -> None:
        """Nothing to stop: the bot's own server owns the socket."""
