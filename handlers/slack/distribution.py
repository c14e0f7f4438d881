"""Distribution mode's Slack pieces around the listeners: what happens when a workspace
installs badgebot (its installer becomes its first admin and is greeted), and when it
uninstalls it or revokes its tokens (its tokens are deleted, its queued posts dropped,
nothing of any other workspace touched)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bot.workspace_services import Workspaces
from bot.workspaces import slack_ids, slack_workspace
from handlers.slack.oauth import SlackInstalls

log = logging.getLogger(__name__)

WELCOME = (
    "Thanks for installing badgebot! Open my *Home* tab to connect your Quantive account; "
    "then everyone here can give badges with `/badge give @someone Badge for…`."
)


class Lifecycle:
    """Install, uninstall and revocation, for one process."""

    def __init__(self, workspaces: Workspaces) -> None:
        #: Set once built (the installs call :meth:`installed` back).
        self.installs: SlackInstalls
        self._workspaces = workspaces
        self._tasks: set[asyncio.Task[None]] = set()

    async def token_for(self, key: str) -> str | None:
        """The workspace's current bot token, for background work (rotated when due)."""
        return await self.installs.bot_token(*slack_ids(key))

    async def installed(self, installation: Installation) -> None:
        """The installer becomes the workspace's first badge admin (so that they, and not
        only Slack's admins, may connect it), and is greeted in a DM; the greeting runs
        after the browser has its page."""
        key = slack_workspace(
            installation.team_id,
            installation.enterprise_id,
            bool(installation.is_enterprise_install),
        )
        if key is None or not installation.user_id:
            return
        scoped = self._workspaces.store.for_workspace(key)
        if "badge_admins" not in await scoped.workspace_settings():
            await scoped.set_workspace_setting(
                "badge_admins", [installation.user_id], installation.user_id
            )
        await self._workspaces.forget(key)
        task = asyncio.create_task(self._greet(installation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _greet(self, installation: Installation) -> None:
        try:
            await self.installs.client.chat_postMessage(
                token=installation.bot_token, channel=installation.user_id, text=WELCOME
            )
        except SlackApiError as exc:
            log.warning("could not greet the installer: %s", exc.response.get("error"))
        except Exception as exc:  # the install is done; a greeting is a courtesy
            log.warning("could not greet the installer: %s", type(exc).__name__)

    async def forget(self, context: AsyncBoltContext) -> None:
        """Delete the workspace's installation (its tokens) and drop its queued posts."""
        org_wide = bool(context.is_enterprise_install)
        key = slack_workspace(context.team_id, context.enterprise_id, org_wide)
        if key is None:
            log.warning("ignored an uninstall whose workspace ids are malformed")
            return
        team_id = None if org_wide else context.team_id
        await self.installs.forget(team_id, context.enterprise_id, org_wide)
        dropped = await self._workspaces.store.for_workspace(key).drop_queued_posts("slack")
        await self._workspaces.forget(key)
        log.info("%s removed badgebot: tokens deleted, %d queued post(s) dropped", key, dropped)

    def register(self, app: AsyncApp) -> None:
        """Listen for ``app_uninstalled`` and ``tokens_revoked``. Bolt's own revocation
        listeners are not used: for bot tokens they keep the installation row (whose
        token Bolt's authorize reads first), and an org-wide uninstall matches no row."""

        async def uninstalled(context: AsyncBoltContext) -> None:
            await self.forget(context)

        async def revoked(context: AsyncBoltContext, event: dict[str, Any]) -> None:
            tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
            if tokens.get("bot"):  # the bot holds no user token: only bot tokens matter
                await self.forget(context)

        app.event("app_uninstalled")(uninstalled)
        app.event("tokens_revoked")(revoked)


def app_client(settings: Any, session: Any, retry_handlers: Any) -> AsyncWebClient:
    """The Bolt app's own client in distribution mode: no token (each request's comes
    from its installation), SLACK_API_URL, the shared session."""
    return AsyncWebClient(
        base_url=settings.slack_api_url.rstrip("/") + "/",
        session=session,
        timeout=settings.slack_timeout,
        retry_handlers=retry_handlers,
    )
