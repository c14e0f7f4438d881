"""Slack's side of the web process: ``POST /slack/events``, from a body already read to
Bolt's answer, with the checks Bolt does not make (or makes too late): signature before
parsing, payload shape, replays. Never a 500: Slack retries and shows errors on those.

Every request is first recorded as seen (the replay check), before any listener runs.
When the database cannot take that, nothing at all is done or recorded: the person is
told so, in Slack's three seconds, and asked to try again in a minute. The next request
tries the database again, so the bot serves again by itself once the database is back."""

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
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.in_flight import InFlight
from bot.settings import Settings
from bot.worker import Job
from bot.workspace_services import Workspaces
from bot.workspaces import DEFAULT_WORKSPACE
from handlers.slack.app import build_bolt_app
from handlers.slack.context import SlackContext
from handlers.slack.dispatch import single_workspace
from handlers.slack.recovery import slack_jobs
from handlers.slack.replays import replay_key
from handlers.slack.workspace_contexts import SlackContexts

log = logging.getLogger(__name__)

#: How long the replay check may take before the request is answered without it: well
#: inside Slack's three seconds, far beyond the few milliseconds it takes when all is well.
DATABASE_DEADLINE = 2.0

#: What the database's absence raises: the driver's errors (wrapped by SQLAlchemy), a
#: refused or dropped socket, and the deadline.
DATABASE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)

#: The answer while the database is away. True: the replay check is the request's first
#: write, so nothing was recorded, and nothing will be made later.
DATABASE_DOWN = (
    ":warning: I can't reach my database right now, so I did nothing and recorded nothing. "
    "Please try again in a minute."
)

#: The answer when a listener failed before it could answer.
FAILED = ":warning: Sorry, something went wrong on my side. Please try again in a minute."


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
        self.contexts: SlackContexts | None = None
        self._bolt: AsyncApp | None = None
        #: Answers sent through response URLs, kept until done (asyncio holds tasks weakly).
        self._answers: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def running(self, workspaces: Workspaces) -> AsyncIterator[SlackContexts]:
        """The Bolt app and each workspace's Slack context, for as long as it lasts; the
        web app's worker runs :meth:`jobs_for` each workspace every round."""
        settings = self._settings
        contexts = SlackContexts(settings, workspaces, retry_handlers=self._retry_handlers)
        self.contexts = contexts
        try:
            if workspaces.distributed:
                raise NotImplementedError("distribution mode is wired in a later step")
            self.ctx = await contexts.for_key(DEFAULT_WORKSPACE)
            self._bolt = build_bolt_app(
                settings, self.ctx.notifier.client, single_workspace(contexts), self.in_flight
            )
            yield contexts
        finally:
            await contexts.aclose()

    async def jobs_for(self, key: str) -> list[Job]:
        """Slack's background jobs for one workspace, its client holding the current
        token (the core's chat outbox job sends through it); none for other platforms."""
        assert self.contexts is not None, "not running"
        if not (key == DEFAULT_WORKSPACE or key.startswith("slack:")):
            return []
        ctx = await self.contexts.for_background(key)
        return slack_jobs(ctx) if ctx is not None else []

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
        if key is not None:
            try:
                first = await asyncio.wait_for(self._first_sighting(key), DATABASE_DEADLINE)
            except DATABASE_ERRORS as exc:
                # One line: the error's text names the statement, never its values
                # (bot.store.database hides them), and a traceback per request is noise.
                log.error("database unavailable, request not handled: %s", _first_line(exc))
                return self._tell(payload, DATABASE_DOWN)
            if not first:
                log.info("ignored a request already handled (%s)", key.partition(":")[0])
                return Response(status_code=200)
        self.in_flight.begin()
        try:
            bolt_response = await self._bolt.async_dispatch(to_async_bolt_request(request, body))
            # Let the listener's task (started by Bolt after the ack) count itself in.
            await asyncio.sleep(0)
        except Exception as exc:  # a listener's bug must not become Slack's 500
            log.error("request failed before the ack: %s", _first_line(exc))
            return self._tell(payload, FAILED)
        finally:
            self.in_flight.end()
        if bolt_response.status == 404:
            # Bolt's "unhandled request": nothing here listens for it. Acknowledge it, so
            # Slack shows no error, and do nothing.
            log.info("ignored a request no listener handles")
            return Response(status_code=200)
        if bolt_response.status >= 500:
            # The listener failed before its ack (Bolt's error handler logged it).
            return self._tell(payload, FAILED)
        return to_starlette_response(bolt_response)

    def _tell(self, payload: dict[str, Any], text: str) -> Response:
        """Answer a request that was not handled, so that the person sees ``text``: in
        the answer itself for a command or a form, else through its response URL."""
        if "command" in payload:
            return JSONResponse({"response_type": "ephemeral", "text": text})
        if payload.get("type") == "view_submission":
            block = _first_input_block(payload.get("view") or {})
            if block:  # the form stays open, its input kept, with the text under a field
                return JSONResponse({"response_action": "errors", "errors": {block: text}})
            return Response(status_code=200)
        url = payload.get("response_url")
        if isinstance(url, str) and url:  # Slack's, since the request's signature held
            self.in_flight.begin()
            task = asyncio.create_task(self._respond(url, text))
            self._answers.add(task)
            task.add_done_callback(self._answered)
        return Response(status_code=200)

    def _answered(self, task: asyncio.Task[None]) -> None:
        self._answers.discard(task)
        self.in_flight.end()

    async def _first_sighting(self, key: str) -> bool:
        """The replay check, tried once more when it failed on a pooled connection that
        the database closed (it restarted, or failed over): SQLAlchemy then drops every
        pooled connection, so the second try opens a new one and the request is served."""
        assert self.ctx is not None
        store = self.ctx.services.store
        try:
            return await store.first_sighting(key)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.info("database connection was closed; trying a new one")
            return await store.first_sighting(key)

    async def _respond(self, url: str, text: str) -> None:
        """Post ``text`` to a response URL, seen only by the person; no database needed."""
        assert self.ctx is not None
        session = self.ctx.notifier.client.session
        message = {"response_type": "ephemeral", "replace_original": False, "text": text}
        try:
            assert session is not None
            async with session.post(url, json=message) as answer:
                if answer.status >= 400:
                    log.warning("response URL answered %d", answer.status)
        except Exception as exc:  # the person is not told; nothing else depends on it
            log.warning("response URL failed: %s", type(exc).__name__)


def _first_line(exc: BaseException) -> str:
    """An error's kind and the first line of its text (SQLAlchemy's add the statement
    and a help link on the following lines)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _first_input_block(view: dict[str, Any]) -> str | None:
    """The block id of a form's first input, where Slack can show an error text."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


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
