"""The Home tab's "Change settings" button: the workspace's settings modal, for admins."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.workspace_settings import current_or_built
from handlers.slack.context import SlackContext
from handlers.slack.modals import message_modal
from handlers.slack.settings_blocks import settings_form

log = logging.getLogger(__name__)


def open_settings(ctx: SlackContext) -> Callable[..., Any]:
    """Open the settings modal, filled in with the workspace's values now; anyone else
    than an admin (an old Home tab, a forged click) is shown why not."""

    async def handle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = str(body.get("user", {}).get("id", ""))
        if not ctx.services.permissions.can_administer(user):
            await client.views_open(trigger_id=body["trigger_id"], view=_refused())
            return
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=settings_form(
                await current_or_built(ctx.services.settings, ctx.services.settings_editor)
            ),
        )

    return handle


def _refused() -> dict[str, Any]:
    return message_modal("Settings", "Only badge admins can change settings.")
