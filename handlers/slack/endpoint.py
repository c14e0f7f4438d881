"""Slack's side of the web process: ``POST /slack/events``, from a body already read to
Bolt's answer, with the checks Bolt does not make (or makes too late): signature before
parsing, payload shape, replays. Never a 500: Slack retries and shows errors on those.

Every request is first recorded as seen (the replay check), before any listener runs.
When the database cannot take that, nothing at all is done or recorded: the person is
told so, in Slack's three seconds, and asked to try again in a minute. The next request
tries the database again, so the bot serves again by itself once the database is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
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
from starlette.routing import BaseRoute, Route

from bot.in_flight import InFlight
from bot.secrets import SecretBox
from bot.settings import Settings
from bot.store import Store
from bot.worker import Job
from bot.workspace_services import Workspaces
from bot.workspaces import DEFAULT_WORKSPACE
from handlers.slack.app import build_bolt_app, default_retry_handlers
from handlers.slack.connect import CONNECT_IDS, ConnectFlow
from handlers.slack.context import SlackContext
from handlers.slack.dispatch import each_workspace, single_workspace
from handlers.slack.distribution import Lifecycle, app_client
from handlers.slack.home import publish_home
from handlers.slack.oauth import INSTALL_PATH, REDIRECT_PATH, SlackInstalls
from handlers.slack.payload import first_input_block
from handlers.slack.recovery import slack_jobs
from handlers.slack.replays import replay_key
from handlers.slack.request_checks import parse_slack_body, payload_workspace, signature_is_valid
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
        self.installs: SlackInstalls | None = None
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
                await self._distribute(workspaces, contexts)
            else:
                # The contexts, not one context: a settings change rebuilds it, and the
                # next request must see the new one.
                self.ctx = await contexts.for_key(DEFAULT_WORKSPACE)
                self._bolt = build_bolt_app(
                    settings, self.ctx.notifier.client, single_workspace(contexts), self.in_flight
                )
            yield contexts
        finally:
            if self.installs is not None:
                await self.installs.aclose()
            await contexts.aclose()

    async def _distribute(self, workspaces: Workspaces, contexts: SlackContexts) -> None:
        """Distribution mode: Bolt's authorize finds each request's installation, the
        middleware its workspace's context; installs, uninstalls and Connect Quantive."""
        settings = self._settings
        retries = default_retry_handlers() if self._retry_handlers is None else self._retry_handlers
        client = app_client(settings, contexts.session, retries)
        lifecycle = Lifecycle(workspaces)
        self.installs = lifecycle.installs = SlackInstalls(
            settings,
            engine=workspaces.store.engine,
            client=client,
            on_installed=lifecycle.installed,
            authorization_url=settings.slack_authorize_url,
        )
        contexts.tokens = lifecycle.token_for
        connect = ConnectFlow(workspaces, SecretBox(settings.secret_key))

        async def republish_home(key: str, user_id: str) -> None:
            # The connector's Home tab becomes the connected one at once.
            ctx = await contexts.for_background(key)
            if ctx is not None:
                await publish_home(ctx, user_id)

        connect.after_connect.append(republish_home)
        self._bolt = build_bolt_app(
            settings,
            client,
            each_workspace(contexts, CONNECT_IDS),
            self.in_flight,
            connect,
            oauth_flow=self.installs.flow,
            user_facing_authorize_error_message=(
                "badgebot is not installed in this workspace (or was removed). An admin can "
                f"add it again at {(settings.public_url or '').rstrip('/')}{INSTALL_PATH}."
            ),
        )
        lifecycle.register(self._bolt)

    @property
    def routes(self) -> list[BaseRoute]:
        """``GET /slack/install`` and ``GET /slack/oauth_redirect`` (distribution mode);
        they answer 404 until running."""

        async def install(request: Request) -> Response:
            if self.installs is None:
                return PlainTextResponse("not found", 404)
            return await self.installs.install(request)

        async def oauth_redirect(request: Request) -> Response:
            if self.installs is None:
                return PlainTextResponse("not found", 404)
            return await self.installs.oauth_redirect(request)

        return [
            Route(INSTALL_PATH, install, methods=["GET"]),
            Route(REDIRECT_PATH, oauth_redirect, methods=["GET"]),
        ]

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
        assert self.contexts is not None and self._bolt is not None, "not running"
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
                first = await asyncio.wait_for(
                    self._first_sighting(self._replay_store(payload), key), DATABASE_DEADLINE
                )
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
            block = first_input_block(payload.get("view") or {})
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

    def _replay_store(self, payload: dict[str, Any]) -> Store:
        """Where the request's id is recorded: its workspace's part of the store (the
        single workspace's, or the one the payload names in distribution mode)."""
        assert self.contexts is not None
        store = self.contexts.store
        if self.ctx is not None:
            return store
        key = payload_workspace(payload)
        return store.for_workspace(key) if key else store

    async def _first_sighting(self, store: Store, key: str) -> bool:
        """The replay check, tried once more when it failed on a pooled connection that
        the database closed (it restarted, or failed over): SQLAlchemy then drops every
        pooled connection, so the second try opens a new one and the request is served."""
        try:
            return await store.first_sighting(key)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.info("database connection was closed; trying a new one")
            return await store.first_sighting(key)

    async def _respond(self, url: str, text: str) -> None:
        """Post ``text`` to a response URL, seen only by the person; no database needed."""
        assert self.contexts is not None
        session = self.contexts.session
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
