"""The Teams front end's wiring: the SDK's App, with every address from the settings, its
route mounted into the bot's Starlette app, and :func:`register`, the one place that lists
what the front end answers.

The SDK checks each request's JWT and parses the activity. The bot then routes the
activity's wire form itself, in one middleware, rather than through the SDK's typed
routes: those match Action.Execute on ``data.action`` and answer 500 to shapes they do not
expect (see the reference notes), and the bot must answer every invoke, whatever it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from microsoft_teams.api.auth.cloud_environment import PUBLIC
from microsoft_teams.apps import ActivityContext, App

from bot.in_flight import InFlight
from bot.services import Services
from bot.settings import Settings
from bot.store import ConversationRef, Store
from bot.worker import Job
from bot.workspace_services import NotConnected, Workspaces
from bot.workspaces import DEFAULT_WORKSPACE
from handlers.teams import cards
from handlers.teams.adapter import BodyReader, StarletteAdapter
from handlers.teams.commands import on_message
from handlers.teams.connect import TeamsConnect, connect_verb, is_connect_message
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.directory import TeamsDirectory
from handlers.teams.help_card import help_card
from handlers.teams.invokes import INVOKES
from handlers.teams.tenants import (
    NOT_CONNECTED,
    NOT_CONNECTED_MARKDOWN,
    TeamsTenants,
    TenantDoor,
    teams_context,
)
from handlers.teams.token import ConnectorToken
from handlers.teams.turns import make_turn

log = logging.getLogger(__name__)

#: Where Teams posts activities (the SDK's messaging endpoint).
MESSAGES_PATH = "/api/messages"
#: Seconds before any invoke is answered, whatever it is still doing: Teams shows the
#: person an error when an invoke goes unanswered for about 5 s.
ANSWER_WITHIN = 4.5
#: Invokes answered afresh when Teams delivers them again: their answer is what the person
#: waits for (a dialog, a redrawn card), and what they do is claimed once by the core
#: (a decision) or cannot happen twice (a badge deleted, a badge taken back).
ANSWERED_AGAIN = frozenset({"adaptiveCard/action", "composeExtension/fetchTask"})

#: What any tenant's activity says for a reply while the workspace cannot be loaded.
UNAVAILABLE = "Something went wrong on my side; nothing changed. Try again shortly."
#: The not-connected sentence as a message (markdown: it quotes the command as code).
NOT_CONNECTED_MESSAGE = {
    "type": "message",
    "text": NOT_CONNECTED_MARKDOWN,
    "textFormat": "markdown",
}


class Background(Protocol):
    """What answering an invoke needs: work counted in flight, and work run later."""

    in_flight: InFlight

    def later(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` after the answer."""
        ...


B = TypeVar("B", bound=Background)
#: An invoke's handler: a TeamsContext's (handlers.teams.invokes), or a door's (connect).
Handler = Callable[[B, Turn], Awaitable[dict[str, Any]]]


class TeamsFrontEnd:
    """The SDK app and the routes to mount; call :meth:`start` in the web app's lifespan."""

    def __init__(self, settings: Settings, read_body: BodyReader, in_flight: InFlight) -> None:
        assert settings.teams_app_id and settings.teams_app_password and settings.teams_tenant_id
        self._settings = settings
        self.adapter = StarletteAdapter(read_body)
        self.token = ConnectorToken(
            settings.teams_login_url,
            settings.teams_tenant_id,
            settings.teams_app_id,
            settings.teams_app_password.get_secret_value(),
        )
        cloud = dataclasses.replace(
            PUBLIC,
            openid_metadata_url=settings.teams_openid_metadata_url,
            login_endpoint=settings.teams_login_url.rstrip("/"),
        )
        self.app = App(
            client_id=settings.teams_app_id,
            tenant_id=settings.teams_tenant_id,
            token=self.token,
            cloud=cloud,
            http_server_adapter=self.adapter,
            # Never from the environment: the SDK would read DANGEROUSLY_ALLOW_... itself.
            dangerously_allow_unauthenticated_requests=False,
        )
        self.in_flight = in_flight
        #: The Teams front end's background jobs, for the web app's worker (none: its
        #: posts are retried in the call, then by the core's chat outbox job, and the
        #: core's jobs tell it their outcomes).
        self.jobs: list[Job] = []
        self.tenants: TeamsTenants | None = None

    @property
    def ctx(self) -> TeamsContext | None:
        """The single-tenant mode's context as built now (rebuilt with its workspace's
        services when its settings change), never one kept from start-up."""
        return self.tenants.current(DEFAULT_WORKSPACE) if self.tenants is not None else None

    @property
    def routes(self) -> list[Any]:
        """``POST /api/messages`` (it answers 503 until :meth:`start` has run)."""
        return [self.adapter.route(MESSAGES_PATH)]

    async def jobs_for(self, key: str) -> list[Job]:
        """Teams' background jobs for one workspace: its own, for each Teams tenant (the
        default workspace in single-tenant mode), none for a Slack workspace."""
        if self.tenants is not None and self.tenants.serves(key):
            return list(self.jobs)
        return []

    async def start(self, workspaces: Workspaces) -> None:
        """Hook the Teams contexts onto the core's workspaces (each is subscribed to its
        workspace's outcomes when built), register the handlers, and let the SDK
        initialise. In single-tenant mode the one context is built now, as before."""
        if self.tenants is None:
            self.tenants = TeamsTenants(self._settings, workspaces, self.token, self.in_flight)
            if not self.tenants.multi:
                try:
                    # Built now, as before, so the first activity finds it ready; each
                    # activity still asks for the context of the services as they are now.
                    await self.tenants.for_key(DEFAULT_WORKSPACE)
                except NotConnected:  # Slack's distribution mode: connected later
                    log.warning("Teams serves the default workspace, which is not connected")
            register(self.app, self.tenants)
        await self.app.initialize()

    async def stop(self) -> None:
        """Close the connector's HTTP client."""
        if self.tenants is not None:
            await self.tenants.aclose()


@contextlib.asynccontextmanager
async def teams_runtime(
    settings: Settings, services: Services, tenant_id: str | None = None
) -> AsyncIterator[TeamsContext]:
    """The Teams helpers for a process without a web server (clock, digest): they send
    through the connector and need no SDK App; ``tenant_id`` is the customer tenant's
    (multi-tenant mode), for the chats they open."""
    assert settings.teams_app_id and settings.teams_app_password and settings.teams_tenant_id
    token = ConnectorToken(
        settings.teams_login_url,
        settings.teams_tenant_id,
        settings.teams_app_id,
        settings.teams_app_password.get_secret_value(),
    )
    ctx = teams_context(settings, services, token, InFlight(), tenant_id=tenant_id)
    try:
        yield ctx
    finally:
        await ctx.connector.aclose()
        await ctx.graph.aclose()


def register(app: App, tenants: TeamsTenants) -> None:
    """Everything the Teams front end answers: messages (commands), the invokes in
    handlers.teams.invokes.INVOKES, and the bot being added to a chat or team; in
    multi-tenant mode, each with its tenant's context, and ``connect`` (the connect card).
    """
    connecting = TeamsConnect(tenants.workspaces, tenants.box) if tenants.box else None

    @app.use
    async def dispatch(actx: ActivityContext[Any]) -> Any:
        activity = actx.activity.model_dump(by_alias=True, exclude_none=True, mode="json")
        turn = make_turn(activity)
        if turn is None:
            return None  # nobody to answer: ignore it, with a 200
        key = tenants.workspace_of(activity)
        if key is None:
            # Not an activity Teams sends: nothing of any tenant may be touched for it.
            log.warning("ignored a Teams activity without a valid tenant id")
            return None
        ctx: TeamsContext | None = None
        try:
            ctx = await tenants.for_key(key)
        except NotConnected:
            pass
        except Exception as exc:  # the database is away: say so rather than answer 500
            log.error("could not load the workspace of a Teams activity: %s", type(exc).__name__)
            return (
                cards.message_response(UNAVAILABLE)
                if turn.activity.get("type") == "invoke"
                else None
            )
        door = tenants.door(key)
        store = ctx.services.store if ctx is not None else door.store
        known = ctx.known_refs if ctx is not None else door.known_refs
        kind = activity.get("type")
        if not await first_delivery(store, turn):
            # Teams delivers an activity again when its answer was slow or lost; the first
            # delivery is handled (or being handled) already, so this one changes nothing.
            log.info("ignored a Teams %s delivered again", kind)
            return {} if kind == "invoke" else None
        await keep_reference(store, known, turn.ref)
        if ctx is None or (connecting is not None and wants_connect(turn)):
            return await at_the_door(door, connecting, turn)
        return await handle(ctx, turn)


async def handle(ctx: TeamsContext, turn: Turn) -> Any:
    """Route an activity of a connected workspace."""
    activity = turn.activity
    kind = activity.get("type")
    if kind == "message":
        ctx.later(on_message(ctx, turn), "command")
        return None
    if kind == "invoke":
        return await answer_invoke(ctx, turn, INVOKES.get(str(activity.get("name") or "")))
    if kind == "conversationUpdate" and _bot_added(activity):
        ctx.later(welcome(ctx, turn), "welcome")
    if kind in ("conversationUpdate", "installationUpdate") and turn.personal:
        # Installed for a person: learn their email now, so that an approver listed
        # by email in TEAMS_APPROVERS can be sent requests before they write.
        ctx.later(learn(ctx.directory, turn), "member lookup")
    return None


async def at_the_door(door: TenantDoor, connecting: TeamsConnect | None, turn: Turn) -> Any:
    """An activity of a tenant without a Quantive connection (or anyone's ``connect``):
    the connect command and card, else the not-connected sentence. Nothing here calls
    Quantive, except the connect card's check of what the admin typed."""
    activity = turn.activity
    kind = activity.get("type")
    name = str(activity.get("name") or "")
    if kind == "message":
        if connecting is not None and is_connect_message(turn):
            door.later(connecting.command(door, turn), "connect")
        else:
            door.later(door.say(turn, NOT_CONNECTED_MESSAGE), "not connected")
        return None
    if kind == "invoke":
        if connecting is not None and connect_verb(turn):
            return await answer_invoke(door, turn, connecting.submitted)
        if name.startswith("composeExtension/"):
            return {"task": {"type": "message", "value": NOT_CONNECTED}}
        return cards.message_response(NOT_CONNECTED)
    if kind == "conversationUpdate" and _bot_added(activity):
        door.later(door.say(turn, NOT_CONNECTED_MESSAGE), "welcome")
    if kind in ("conversationUpdate", "installationUpdate") and turn.personal:
        door.later(learn(door.directory, turn), "member lookup")
    return None


def wants_connect(turn: Turn) -> bool:
    """Whether the activity is ``connect`` or the connect card's button."""
    kind = turn.activity.get("type")
    return (kind == "message" and is_connect_message(turn)) or (
        kind == "invoke" and connect_verb(turn)
    )


async def keep_reference(
    store: Store, known: dict[str, ConversationRef], ref: ConversationRef
) -> None:
    """Store the conversation's reference (in its workspace's rows) when it changed, for
    proactive messages later."""
    if known.get(ref.conversation_id) == ref:
        return
    try:
        await store.remember_conversation(ref)
        known[ref.conversation_id] = ref
    except Exception as exc:  # never lose the activity for want of a reference
        log.warning("could not keep a Teams conversation reference: %s", exc)


async def first_delivery(store: Store, turn: Turn) -> bool:
    """False when this activity (by its id, in its conversation) was handled before, as
    Slack requests are recognised by their ids (the store's ``seen_requests``, shared by
    every process). An activity without an id, or an invoke in ANSWERED_AGAIN, is always
    handled."""
    activity_id = turn.activity.get("id")
    if not activity_id or (
        turn.activity.get("type") == "invoke" and turn.activity.get("name") in ANSWERED_AGAIN
    ):
        return True
    key = f"teams:{turn.ref.conversation_id}:{activity_id}"
    try:
        return await store.first_sighting(key)
    except Exception as exc:  # the database is away: handling it beats losing it
        log.warning("could not check a Teams activity for a repeat: %s", type(exc).__name__)
        return True


async def answer_invoke(ctx: B, turn: Turn, handler: Handler[B] | None) -> Any:
    """The invoke's answer, counted in flight; an unknown invoke or a failure still gets
    one (Teams shows an error for an empty answer). One that takes longer than
    ANSWER_WITHIN is answered anyway and finishes in the background, never cut off: it may
    already have changed something in Quantive."""
    if handler is None:
        return cards.message_response("badgebot doesn't handle that yet.")
    ctx.in_flight.begin()
    work = asyncio.ensure_future(handler(ctx, turn))
    try:
        return await asyncio.wait_for(asyncio.shield(work), ANSWER_WITHIN)
    except TimeoutError:
        ctx.later(_finish(work), "slow invoke")
        return cards.message_response(
            "This is taking longer than usual (Quantive is slow). It carries on, and the card "
            "will update when it is done; no need to click again."
        )
    except Exception as exc:
        log.error("Teams invoke failed: %s: %s", type(exc).__name__, exc)
        return cards.message_response("Something went wrong on my side; nothing changed.")
    finally:
        ctx.in_flight.end()


async def _finish(work: asyncio.Future[Any]) -> None:
    await work


async def welcome(ctx: TeamsContext, turn: Turn) -> None:
    """The welcome card, with help, when the app is added to a chat or a team."""
    intro = "Thanks for adding badgebot! Recognise people with Quantive badges, right here."
    content = help_card(intro, multi_tenant=ctx.settings.teams_multi_tenant)
    content["actions"] = [cards.execute_action("Open my home", cards.HOME_VERB)]
    await ctx.say(turn, cards.card_message(content, "Welcome to badgebot"))


async def learn(directory: TeamsDirectory, turn: Turn) -> None:
    """Look the sender up, which remembers their email and object id."""
    await directory.profile(turn.sender, turn.ref)


def _bot_added(activity: dict[str, Any]) -> bool:
    bot_id = (activity.get("recipient") or {}).get("id")
    added = activity.get("membersAdded") or []
    return any(isinstance(m, dict) and m.get("id") == bot_id for m in added)
