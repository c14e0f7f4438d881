"""Which workspace a Teams activity belongs to, and that workspace's Teams context.

In the single-tenant mode every activity belongs to the default workspace, and to its
context as now built: a settings change rebuilds the workspace's services
(bot.workspace_services), and with them its context, from the next activity.

With ``TEAMS_MULTI_TENANT`` the bot resource stays single-tenant (its connector token
comes from the home tenant, so one token and one connector HTTP client serve everyone),
while every activity's tenant picks that tenant's workspace (``teams:<tenant id>``): its
Quantive connection, its settings and its rows of the store, so that proactive posts and
redraws only ever use that tenant's conversation references.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.digest import DigestJob
from bot.in_flight import InFlight
from bot.recap import RecapJob
from bot.secrets import SecretBox
from bot.services import Services, give_slots
from bot.settings import Settings
from bot.store import ConversationRef, Store
from bot.workspace_services import Workspaces
from bot.workspaces import DEFAULT_WORKSPACE, teams_workspace
from handlers.teams.connector import TeamsConnector
from handlers.teams.context import TeamsContext, Turn, run_later
from handlers.teams.digest_publisher import TeamsDigestPublisher, TeamsRecapPublisher
from handlers.teams.directory import TeamsDirectory
from handlers.teams.graph import TeamsGraph
from handlers.teams.notifications import TeamsNotifier
from handlers.teams.recovery import TeamsAwardNotices
from handlers.teams.token import ConnectorToken

log = logging.getLogger(__name__)

#: What anyone in a tenant without a Quantive connection is told, whatever they did: as
#: plain text (invoke answers and dialogs show no markdown, so no backticks there) ...
NOT_CONNECTED = (
    "badgebot is not connected to Quantive yet; an admin can connect it by sending "
    "“connect” to badgebot."
)
#: ... and as a markdown message, which quotes the command as code.
NOT_CONNECTED_MARKDOWN = NOT_CONNECTED.replace("“connect”", "`connect`")


def activity_workspace(activity: dict[str, Any]) -> str | None:
    """The workspace key of the activity's tenant: ``channelData.tenant.id``, else
    ``conversation.tenantId``. None when neither is a GUID, or when the two name different
    tenants (Teams sends one tenant in both; an activity that disagrees is not Teams')."""
    channel_data = activity.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    conversation = activity.get("conversation")
    named = [
        tenant.get("id") if isinstance(tenant, dict) else None,
        conversation.get("tenantId") if isinstance(conversation, dict) else None,
    ]
    present = [value for value in named if value not in (None, "")]
    keys = {teams_workspace(value) if isinstance(value, str) else None for value in present}
    if len(keys) != 1 or None in keys:
        return None
    return keys.pop()


def new_connector(settings: Settings, token: ConnectorToken) -> TeamsConnector:
    """A Bot Connector client with the bot's token (one per process is enough)."""
    assert settings.teams_app_id
    return TeamsConnector(
        token,
        settings.teams_app_id,
        http=httpx.AsyncClient(timeout=settings.teams_timeout),
        retry_base=settings.teams_retry_base,
    )


def new_graph(settings: Settings) -> TeamsGraph:
    """A Microsoft Graph client with the app's credentials (one per process is enough)."""
    assert settings.teams_app_id and settings.teams_app_password
    return TeamsGraph(
        settings.teams_graph_url,
        settings.teams_login_url,
        settings.teams_app_id,
        settings.teams_app_password.get_secret_value(),
        http=httpx.AsyncClient(timeout=settings.teams_timeout),
        retry_base=settings.teams_retry_base,
    )


def teams_context(
    settings: Settings,
    services: Services,
    token: ConnectorToken,
    in_flight: InFlight,
    *,
    connector: TeamsConnector | None = None,
    graph: TeamsGraph | None = None,
    tenant_id: str | None = None,
) -> TeamsContext:
    """The Teams-side helpers around one workspace's domain services (also used by the
    clock); ``connector`` and ``graph`` are shared when given, else new ones are made."""
    connector = connector or new_connector(settings, token)
    graph = graph or new_graph(settings)
    directory = TeamsDirectory(connector, services.store, settings.identity_cache_ttl)
    digest: DigestJob | None = None

    async def redraw_digest(conversation_id: str, activity_id: str) -> None:
        assert digest is not None
        await digest.redraw(conversation_id, activity_id)

    notifier = TeamsNotifier(
        settings,
        connector,
        directory,
        services.store,
        redraw_digest,
        services.outbox,
        tenant_id=tenant_id,
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
        graph=graph,
    )


@dataclass
class TenantDoor:
    """What any tenant's activity can use before (or without) its Quantive connection:
    its key, its part of the store, a directory over it and the shared connector. Nothing
    here reaches Quantive."""

    key: str
    store: Store
    directory: TeamsDirectory
    connector: TeamsConnector
    in_flight: InFlight
    #: As TeamsContext.known_refs: references already stored by this process.
    known_refs: dict[str, ConversationRef] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def later(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` after the activity was answered (see TeamsContext.later)."""
        run_later(self.in_flight, self._tasks, work, what)

    async def say(self, turn: Turn, activity: dict[str, Any]) -> str:
        """Answer where the activity came from."""
        return await self.connector.send(turn.ref.service_url, turn.ref.conversation_id, activity)


class TeamsTenants:
    """The Teams context of every workspace Teams serves, built when the core builds that
    workspace's services (:attr:`Workspaces.on_built`), as handlers.slack's are."""

    def __init__(
        self, settings: Settings, workspaces: Workspaces, token: ConnectorToken, in_flight: InFlight
    ) -> None:
        self.settings = settings
        self.workspaces = workspaces
        self.multi = settings.teams_multi_tenant
        self._token = token
        self._in_flight = in_flight
        #: One connector for every tenant: the bot resource, and so its token, is one.
        self.connector = new_connector(settings, token)
        #: One Graph client too; its tokens are kept per tenant inside it.
        self.graph = new_graph(settings)
        #: Encrypts the tokens of the connect card (only multi-tenant mode connects).
        self.box = SecretBox(settings.secret_key) if self.multi else None
        self._by_key: dict[str, TeamsContext] = {}
        self._doors: dict[str, TenantDoor] = {}
        workspaces.on_built.append(self._built)

    def workspace_of(self, activity: dict[str, Any]) -> str | None:
        """The activity's workspace key: the default one in single-tenant mode, its
        tenant's otherwise (None when it names no valid tenant)."""
        return activity_workspace(activity) if self.multi else DEFAULT_WORKSPACE

    def serves(self, key: str) -> bool:
        """Whether the workspace ``key`` is one of Teams': a tenant in multi-tenant mode,
        the default workspace otherwise."""
        return key.startswith("teams:") if self.multi else key == DEFAULT_WORKSPACE

    async def for_key(self, key: str) -> TeamsContext:
        """The workspace's context; NotConnected when it has no Quantive connection."""
        services = await self.workspaces.services(key)
        ctx = self._by_key.get(key)
        if ctx is None or ctx.services is not services:
            # Built before this front end hooked in (another front end asked first).
            ctx = self._make(key, services)
        return ctx

    def door(self, key: str) -> TenantDoor:
        """The workspace's door (kept, so its directory's cache lasts)."""
        door = self._doors.get(key)
        if door is None:
            store = self.workspaces.store.for_workspace(key)
            directory = TeamsDirectory(self.connector, store, self.settings.identity_cache_ttl)
            door = self._doors[key] = TenantDoor(
                key, store, directory, self.connector, self._in_flight
            )
        return door

    async def aclose(self) -> None:
        """Close the shared connector's and Graph's HTTP clients."""
        await self.connector.aclose()
        await self.graph.aclose()

    def _built(self, key: str, services: Services) -> None:
        if self.serves(key):
            self._make(key, services)

    def current(self, key: str) -> TeamsContext | None:
        """The workspace's context as last built (None before its first build)."""
        return self._by_key.get(key)

    def _make(self, key: str, services: Services) -> TeamsContext:
        # The services' settings in both modes: the environment's with the workspace's
        # stored ones on top, so a saved change (who approves, where requests go) reaches
        # the notifier with the rebuilt services, not after a restart.
        ctx = teams_context(
            services.settings,
            services,
            self._token,
            self._in_flight,
            connector=self.connector,
            graph=self.graph,
            tenant_id=key.removeprefix("teams:") if self.multi else None,
        )
        earlier = self._by_key.get(key)
        if earlier is not None:  # the home cards outlive a settings change
            ctx.homes = earlier.homes
        services.notices.subscribe(TeamsAwardNotices(ctx))
        self._by_key[key] = ctx
        return ctx
