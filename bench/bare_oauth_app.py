"""The baseline for the distribution-mode ack benchmark: Bolt's own OAuth app, as its
documentation builds one (``AsyncApp(oauth_settings=...)`` on slack_sdk's SQLAlchemy
installation store), with one ``/badge`` listener that acks and then answers one line
through the response URL, as badgebot's ``/badge help`` does, served the same way as
badgebot (Starlette adapter under uvicorn).

It reads SLACK_SIGNING_SECRET, SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_API_URL and
DATABASE_URL. The engine is badgebot's (bot.store.database.create_engine: aiosqlite, one
pooled connection on SQLite), so the two apps differ in what they do per request, not in
how they reach the database.
"""

from __future__ import annotations

import os

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.store.database import create_engine


def installation_store(engine: AsyncEngine) -> AsyncSQLAlchemyInstallationStore:
    """slack_sdk's installation store for the app's client id, on ``engine``."""
    return AsyncSQLAlchemyInstallationStore(client_id=os.environ["SLACK_CLIENT_ID"], engine=engine)


def create_app() -> Starlette:
    """Bolt's OAuth app with one listener that acks ``/badge``."""
    engine = create_engine(os.environ["DATABASE_URL"])
    bolt = AsyncApp(
        # Only for auth.test and the OAuth exchange: each request's token is its install's.
        client=AsyncWebClient(base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        oauth_settings=AsyncOAuthSettings(
            client_id=os.environ["SLACK_CLIENT_ID"],
            client_secret=os.environ["SLACK_CLIENT_SECRET"],
            scopes=["commands", "chat:write"],
            installation_store=installation_store(engine),
            state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine),
        ),
    )

    @bolt.command("/badge")
    async def ack_then_answer(ack, respond) -> None:
        await ack()
        await respond(text="Give a badge with `/badge give @someone Badge for…`")

    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz)]
    )
