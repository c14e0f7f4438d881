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
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from microsoft_teams.api.auth.cloud_environment import PUBLIC
from microsoft_teams.apps import ActivityContext, App

from bot.digest import DigestJob
from bot.in_flight import InFlight
from bot.recap import RecapJob
from bot.services import Services, give_slots
from bot.settings import Settings
from bot.store import ConversationRef
from bot.worker import Job
from bot.workspaces import DEFAULT_WORKSPACE
from handlers.teams import cards
from handlers.teams.adapter import BodyReader, StarletteAdapter
from handlers.teams.commands import help_card, on_message
from handlers.teams.connector import TeamsConnector
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.digest_publisher import TeamsDigestPublisher, TeamsRecapPublisher
from handlers.teams.directory import Sender, TeamsDirectory, is_plausible_teams_id
from handlers.teams.invokes import INVOKES
from handlers.teams.notifications import TeamsNotifier
from handlers.teams.recovery import TeamsAwardNotices
from handlers.teams.token import ConnectorToken

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

Invoke = Callable[[TeamsContext, Turn], Awaitable[dict[str, Any]]]


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
        self._registered = False
        self.in_flight = in_flight
        #: The Teams front end's background jobs, for the web app's worker (none: its
        #: posts are retried in the call, then by the core's chat outbox job, and the
        #: core's jobs tell it their outcomes).
        self.jobs: list[Job] = []
        self.ctx: TeamsContext | None = None

    @property
    def routes(self) -> list[Any]:
        """``POST /api/messages`` (it answers 503 until :meth:`start` has run)."""
        return [self.adapter.route(MESSAGES_PATH)]

    async def jobs_for(self, key: str) -> list[Job]:
        """Teams' background jobs for one workspace: its own, for the single workspace
        and Teams tenants (none for a Slack workspace)."""
        if key == DEFAULT_WORKSPACE or key.startswith("teams:"):
            return list(self.jobs)
        return []

    async def start(self, services: Services) -> None:
        """Build the Teams helpers on the running process's services, subscribe them to
        the core's outcomes, register the handlers, and let the SDK initialise."""
        if self.ctx is None:
            self.ctx = teams_context(self._settings, services, self.token, self.in_flight)
            services.notices.subscribe(TeamsAwardNotices(self.ctx))
            register(self.app, self.ctx)
        await self.app.initialize()

    async def stop(self) -> None:
        """Close the connector's HTTP client."""
        if self.ctx is not None:
            await self.ctx.connector.aclose()


def teams_context(
    settings: Settings, services: Services, token: ConnectorToken, in_flight: InFlight
) -> TeamsContext:
    """The Teams-side helpers around the domain services (also used by the clock)."""
    assert settings.teams_app_id
    connector = TeamsConnector(
        token,
        settings.teams_app_id,
        http=httpx.AsyncClient(timeout=settings.teams_timeout),
        retry_base=settings.teams_retry_base,
    )
    directory = TeamsDirectory(connector, services.store, settings.identity_cache_ttl)
    digest: DigestJob | None = None

    async def redraw_digest(conversation_id: str, activity_id: str) -> None:
        assert digest is not None
        await digest.redraw(conversation_id, activity_id)

    notifier = TeamsNotifier(
        settings, connector, directory, services.store, redraw_digest, services.outbox
    )
    digest = DigestJob(services, TeamsDigestPublisher(notifier), services.people)
    return TeamsContext(
        services=services,
        settings=settings,
        connector=connector,
        directory=directory,
        notifier=notifier,
        digest=digest,
        recap=RecapJob(services, TeamsRecapPublisher(notifier)),
        in_flight=in_flight,
        give_slots=give_slots(settings),
    )


@contextlib.asynccontextmanager
async def teams_runtime(settings: Settings, services: Services) -> AsyncIterator[TeamsContext]:
    """The Teams helpers for a process without a web server (clock, digest): they send
    through the connector and need no SDK App."""
    assert settings.teams_app_id and settings.teams_app_password and settings.teams_tenant_id
    token = ConnectorToken(
        settings.teams_login_url,
        settings.teams_tenant_id,
        settings.teams_app_id,
        settings.teams_app_password.get_secret_value(),
    )
    ctx = teams_context(settings, services, token, InFlight())
    try:
        yield ctx
    finally:
        await ctx.connector.aclose()


def register(app: App, ctx: TeamsContext) -> None:
    """Everything the Teams front end answers: messages (commands), the invokes in
    handlers.teams.invokes.INVOKES, and the bot being added to a chat or team."""

    @app.use
    async def dispatch(actx: ActivityContext[Any]) -> Any:
        activity = actx.activity.model_dump(by_alias=True, exclude_none=True, mode="json")
        turn = make_turn(activity)
        if turn is None:
            return None  # nobody to answer: ignore it, with a 200
        kind = activity.get("type")
        if not await first_delivery(ctx, turn):
            # Teams delivers an activity again when its answer was slow or lost; the first
            # delivery is handled (or being handled) already, so this one changes nothing.
            log.info("ignored a Teams %s delivered again", kind)
            return {} if kind == "invoke" else None
        if ctx.known_refs.get(turn.ref.conversation_id) != turn.ref:
            try:
                await ctx.services.store.remember_conversation(turn.ref)
                ctx.known_refs[turn.ref.conversation_id] = turn.ref
            except Exception as exc:  # never lose the activity for want of a reference
                log.warning("could not keep a Teams conversation reference: %s", exc)
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
            ctx.later(learn(ctx, turn), "member lookup")
        return None


async def first_delivery(ctx: TeamsContext, turn: Turn) -> bool:
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
        return await ctx.services.store.first_sighting(key)
    except Exception as exc:  # the database is away: handling it beats losing it
        log.warning("could not check a Teams activity for a repeat: %s", type(exc).__name__)
        return True


async def answer_invoke(ctx: TeamsContext, turn: Turn, handler: Invoke | None) -> Any:
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
    content = help_card(intro)
    content["actions"] = [
        {
            "type": "Action.Execute",
            "title": "Open my home",
            "verb": cards.HOME_VERB,
            "data": {"action": cards.HOME_VERB},
        }
    ]
    await ctx.say(turn, cards.card_message(content, "Welcome to badgebot"))


async def learn(ctx: TeamsContext, turn: Turn) -> None:
    """Look the sender up, which remembers their email and object id."""
    await ctx.directory.profile(turn.sender, turn.ref)


def _bot_added(activity: dict[str, Any]) -> bool:
    bot_id = (activity.get("recipient") or {}).get("id")
    added = activity.get("membersAdded") or []
    return any(isinstance(m, dict) and m.get("id") == bot_id for m in added)


def make_turn(activity: dict[str, Any]) -> Turn | None:
    """The turn of an activity, if it names a sender and a conversation."""
    ref = conversation_ref(activity)
    sender = activity.get("from") or {}
    if ref is None or not isinstance(sender, dict) or not sender.get("id"):
        return None
    activity_id = activity.get("id")
    if not is_plausible_teams_id(sender["id"]) or (
        activity_id is not None and not is_plausible_teams_id(activity_id)
    ):
        # Teams never sends such ids; they would reach the store and connector URLs.
        log.warning("ignored a Teams activity whose ids Teams could not have sent")
        return None
    aad = sender.get("aadObjectId")
    who = Sender(
        user_id=sender["id"],
        name=str(sender.get("name") or "someone"),
        aad_object_id=aad if is_plausible_teams_id(aad) else None,
    )
    if ref.kind == "personal":
        ref = dataclasses.replace(ref, user_id=who.user_id)
    return Turn(activity=activity, sender=who, ref=ref)


def conversation_ref(activity: dict[str, Any]) -> ConversationRef | None:
    """The reference of the conversation ``activity`` came from, if it names one."""
    conversation = activity.get("conversation") or {}
    service_url = activity.get("serviceUrl")
    if not isinstance(conversation, dict) or not service_url or not conversation.get("id"):
        return None
    if not is_plausible_teams_id(conversation["id"]):
        log.warning("ignored a Teams activity from a conversation id Teams could not have sent")
        return None
    kind = str(conversation.get("conversationType") or "personal")
    tenant = conversation.get("tenantId") or (
        (activity.get("channelData") or {}).get("tenant") or {}
    ).get("id")
    return ConversationRef(
        conversation_id=str(conversation["id"]),
        kind=kind,
        service_url=str(service_url),
        # Stored with the reference: kept only when Teams could have sent it.
        tenant_id=str(tenant) if is_plausible_teams_id(tenant) else "",
    )
