"""The Teams front end's wiring: the SDK's App, with every address from the settings, its
routes mounted into the bot's Starlette app, and the handlers it registers.

So far (#13 is in progress) the bot answers every message with what it can do in Teams
today; the commands, approval cards and notices come next, on the same core as Slack.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from microsoft_teams.api import MessageActivity
from microsoft_teams.api.auth.cloud_environment import PUBLIC
from microsoft_teams.apps import ActivityContext, App

from bot.in_flight import InFlight
from bot.services import Services
from bot.settings import Settings
from bot.store import ConversationRef
from bot.worker import Job
from handlers.teams.adapter import BodyReader, StarletteAdapter
from handlers.teams.token import ConnectorToken

log = logging.getLogger(__name__)

#: Where Teams posts activities (the SDK's messaging endpoint).
MESSAGES_PATH = "/api/messages"

NOT_YET = (
    "Hi! I'm badgebot. My Teams commands (give, approve, the digest) are on their way; "
    "for now, give and approve badges in Slack or in Quantive."
)


class TeamsFrontEnd:
    """The SDK app and the routes to mount; call :meth:`start` in the web app's lifespan."""

    def __init__(self, settings: Settings, read_body: BodyReader, in_flight: InFlight) -> None:
        assert settings.teams_app_id and settings.teams_app_password and settings.teams_tenant_id
        self.adapter = StarletteAdapter(read_body)
        cloud = dataclasses.replace(
            PUBLIC,
            openid_metadata_url=settings.teams_openid_metadata_url,
            login_endpoint=settings.teams_login_url.rstrip("/"),
        )
        self.app = App(
            client_id=settings.teams_app_id,
            tenant_id=settings.teams_tenant_id,
            token=ConnectorToken(
                settings.teams_login_url,
                settings.teams_tenant_id,
                settings.teams_app_id,
                settings.teams_app_password.get_secret_value(),
            ),
            cloud=cloud,
            http_server_adapter=self.adapter,
            # Never from the environment: the SDK would read DANGEROUSLY_ALLOW_... itself.
            dangerously_allow_unauthenticated_requests=False,
        )
        self._registered = False
        self.in_flight = in_flight
        #: The Teams front end's background jobs, for the web app's worker.
        self.jobs: list[Job] = []

    @property
    def routes(self) -> list[Any]:
        """``POST /api/messages`` (it answers 503 until :meth:`start` has run)."""
        return [self.adapter.route(MESSAGES_PATH)]

    async def start(self, services: Services) -> None:
        """Register the handlers on the running process's services, then let the SDK
        register its routes and load what it needs."""
        if not self._registered:
            register(self.app, services)
            self._registered = True
        await self.app.initialize()


def register(app: App, services: Services) -> None:
    """Every handler the Teams front end registers."""

    @app.use
    async def remember_conversation(ctx: ActivityContext[Any]) -> None:
        # Every activity refreshes where the bot can write later (notices, approvals).
        ref = conversation_ref(ctx.activity)
        if ref is not None:
            try:
                await services.store.remember_conversation(ref)
            except Exception as exc:  # never lose the activity for want of a reference
                log.warning("could not keep a Teams conversation reference: %s", exc)
        await ctx.next()

    @app.on_message
    async def on_message(ctx: ActivityContext[MessageActivity]) -> None:
        await ctx.send(NOT_YET)


def conversation_ref(activity: Any) -> ConversationRef | None:
    """The reference of the conversation ``activity`` came from, if it names one."""
    conversation = getattr(activity, "conversation", None)
    service_url = getattr(activity, "service_url", None)
    if conversation is None or not service_url or not getattr(conversation, "id", None):
        return None
    kind = getattr(conversation, "conversation_type", None) or "personal"
    sender = getattr(activity, "from_", None)
    return ConversationRef(
        conversation_id=conversation.id,
        kind=str(kind),
        service_url=service_url,
        tenant_id=getattr(conversation, "tenant_id", None) or "",
        user_id=getattr(sender, "id", None) if kind == "personal" else None,
    )
