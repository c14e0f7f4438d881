"""Slack's side of the web process: ``POST /slack/events``, from a body already read to
Bolt's answer, with the checks Bolt does not make (or makes too late): signature before
parsing, payload shape, replays. Never a 500: Slack retries and shows errors on those."""

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
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.in_flight import InFlight
from bot.services import Services
from bot.settings import Settings
from bot.worker import Job
from handlers.slack.app import (
    build_bolt_app,
    build_context,
    build_slack_client,
    close_slack_client,
)
from handlers.slack.context import SlackContext
from handlers.slack.recovery import SlackAwardNotices, slack_jobs
from handlers.slack.replays import replay_key

log = logging.getLogger(__name__)


class SlackEndpoint:
    """The Slack front end of the web process: its client, listeners and worker while
    :meth:`running`, and :meth:`handle` for each request."""

    def __init__(
        self,
        settings: Settings,
        retry_handlers: list[AsyncRetryHandler] | None = None,
        in_flight: InFlight | None = None,
    ) -> None:
        self._settings = settings
        self._retry_handlers = retry_handlers
        secret = settings.slack_signing_secret
        self._verifier = SignatureVerifier(secret.get_secret_value() if secret else "")
        #: Listeners still working, the work after the ack included.
        self.in_flight = in_flight or InFlight()
        self.ctx: SlackContext | None = None
        #: Slack's background jobs, for the web app's worker, once running.
        self.jobs: list[Job] = []
        self._bolt: AsyncApp | None = None

    @asynccontextmanager
    async def running(self, services: Services) -> AsyncIterator[SlackContext]:
        """The Slack client and the Bolt app, subscribed to the core's outcomes, for as
        long as it lasts; the web app runs :attr:`jobs` in its worker."""
        client = build_slack_client(self._settings, self._retry_handlers)
        ctx = build_context(self._settings, services, client)
        self.ctx = ctx
        self._bolt = build_bolt_app(self._settings, ctx, client, self.in_flight)
        services.notices.subscribe(SlackAwardNotices(ctx))
        self.jobs = slack_jobs(ctx)
        try:
            yield ctx
        finally:
            await close_slack_client(client)

    async def handle(self, request: Request, body: bytes) -> Response:
        """Answer one request whose body was read (within the size limit)."""
        assert self.ctx is not None and self._bolt is not None, "not running"
        # Bolt parses the body before it checks the signature, and a malformed payload
        # would surface as a 500; so check the signature, then the payload, here first.
        if not signature_is_valid(self._verifier, body, request.headers):
            return PlainTextResponse("invalid signature", 401)
        payload = parse_slack_body(body, request.headers.get("content-type", ""))
        if payload is None:
            log.warning("ignored a signed request whose payload is malformed")
            return Response(status_code=200)
        key = replay_key(payload)
        if key is not None and not await self.ctx.services.store.first_sighting(key):
            log.info("ignored a request already handled (%s)", key.partition(":")[0])
            return Response(status_code=200)
        self.in_flight.begin()
        try:
            bolt_response = await self._bolt.async_dispatch(to_async_bolt_request(request, body))
            # Let the listener's task (started by Bolt after the ack) count itself in.
            await asyncio.sleep(0)
        except Exception as exc:  # a listener's bug must not become Slack's 500
            log.error("request failed before the ack: %s: %s", type(exc).__name__, exc)
            return Response(status_code=200)
        finally:
            self.in_flight.end()
        if bolt_response.status == 404:
            # Bolt's "unhandled request": nothing here listens for it. Acknowledge it, so
            # Slack shows no error, and do nothing.
            log.info("ignored a request no listener handles")
            return Response(status_code=200)
        if bolt_response.status >= 500:
            return Response(status_code=200)
        return to_starlette_response(bolt_response)


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
