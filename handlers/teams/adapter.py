"""Mounts the Teams SDK's routes (``POST /api/messages``) into the bot's own Starlette app,
as the SDK's HttpServerAdapter protocol asks, so Slack and Teams share one server."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

#: Reads a request's body within the web app's size limit; None when it is over.
BodyReader = Callable[[Request], Awaitable[bytes | None]]

#: The SDK's logger that logs a full traceback for an authenticated activity it cannot
#: parse (anyone holding a valid token can send one, so one line each is plenty).
SDK_LOGGER = "microsoft_teams.apps.http.http_server"
#: Why the SDK refused the activity being handled, gathered by :class:`OneLineRefusals`.
_refusals: ContextVar[list[str] | None] = ContextVar("teams_refusals", default=None)


def refusal_words(exc: BaseException) -> str:
    """One short line saying what was wrong with an activity: the first field pydantic
    refused, or the exception's first line."""
    if isinstance(exc, pydantic.ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        return f"{where or 'activity'}: {first.get('msg', 'invalid')}"[:200]
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]


class OneLineRefusals(logging.Filter):
    """Takes the SDK's traceback of a refused activity out of the log, keeping its reason
    for the one line the adapter logs (records outside a request pass unchanged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False (drop it) for a traceback logged while an activity is handled."""
        found = _refusals.get()
        if found is None or not record.exc_info or record.exc_info[1] is None:
            return True
        found.append(refusal_words(record.exc_info[1]))
        return False


def quiet_sdk_refusals() -> None:
    """Install :class:`OneLineRefusals` on the SDK's logger, once per process."""
    sdk = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(f, OneLineRefusals) for f in sdk.filters):
        sdk.addFilter(OneLineRefusals())


class StarletteAdapter:
    """The SDK's routes served by the web app: :meth:`route` makes the Starlette route at
    once, and the SDK fills in its handler when it initialises (in the lifespan)."""

    def __init__(self, read_body: BodyReader) -> None:
        self._handlers: dict[tuple[str, str], Any] = {}
        self._read_body = read_body
        quiet_sdk_refusals()

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
            reasons: list[str] = []
            watching = _refusals.set(reasons)
            try:
                result = await handler({"body": body, "headers": dict(request.headers)})
            except Exception as exc:  # Teams backs off from bots that answer 500
                log.error("Teams activity failed: %s", refusal_words(exc))
                return PlainTextResponse("the activity could not be handled", 400)
            finally:
                _refusals.reset(watching)
            status = int(result.get("status", 200))
            if status >= 500:
                # The SDK answers 500 to an authenticated activity it cannot parse; Teams
                # backs off from bots that answer 500, so say "bad request" instead.
                why = reasons[0] if reasons else f"the SDK answered {status}"
                log.warning("Teams activity refused (answered 400): %s", why)
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
