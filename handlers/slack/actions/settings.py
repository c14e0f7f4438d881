"""The Home tab's "Change settings" button: the workspace's settings modal, for admins."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.workspace_settings import EDITABLE, Current
from handlers.slack.context import SlackContext
from handlers.slack.modals import message_modal
from handlers.slack.settings_blocks import settings_form

log = logging.getLogger(__name__)

#: How long the stored values may take: the trigger id dies three seconds after the click.
READ_BUDGET_SECONDS = 1.5


def open_settings(ctx: SlackContext) -> Callable[..., Any]:
    """Open the settings modal, filled in with the workspace's values now; anyone else
    than an admin (an old Home tab, a forged click) is shown why not."""

    async def handle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = str(body.get("user", {}).get("id", ""))
        if not ctx.services.permissions.can_administer(user):
            await client.views_open(trigger_id=body["trigger_id"], view=_refused())
            return
        await client.views_open(trigger_id=body["trigger_id"], view=settings_form(await _now(ctx)))

    return handle


async def _now(ctx: SlackContext) -> list[Current]:
    """The values as stored now (another process may have saved since these services
    were built), else, when the database is slow, as these services have them."""
    editor = ctx.services.settings_editor
    if editor is not None:
        try:
            return await asyncio.wait_for(editor.current(), READ_BUDGET_SECONDS)
        except Exception as exc:  # the form is still worth opening with what we have
            log.warning("could not read the stored settings: %s", type(exc).__name__)
    settings = ctx.services.settings
    return [Current(e, getattr(settings, e.name), True) for e in EDITABLE]


def _refused() -> dict[str, Any]:
    return message_modal("Settings", "Only badge admins can change settings.")
