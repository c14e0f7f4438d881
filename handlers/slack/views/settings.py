"""The settings modal's submission: every field checked before the ack, so problems land
under their fields within Slack's 3 seconds; then saved, shown, and in effect at once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.workspace_settings import check
from handlers.slack.context import SlackContext
from handlers.slack.home import publish_home
from handlers.slack.modals import message_modal
from handlers.slack.mrkdwn import escape
from handlers.slack.settings_blocks import SETTINGS_MODAL, field_errors, first_block, form_changes

log = logging.getLogger(__name__)

NOT_ADMIN = "Only badge admins can change settings; nothing was changed."


def settings_submitted(ctx: SlackContext) -> Callable[..., Any]:
    """Refuse anyone but an admin, show the fields' problems, else save and say so."""

    async def handle(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user = str(body["user"]["id"])
        editor = ctx.services.settings_editor
        # Checked on the server: a forged submission reaches here without the button.
        if editor is None or not ctx.services.permissions.can_administer(user):
            await ack(response_action="errors", errors={first_block(): NOT_ADMIN})
            return
        changes = form_changes(view)
        # Checked against these services' settings, with no database call before the ack;
        # save() checks again against the stored ones.
        _, problems = check(changes, ctx.services.settings, editor.workspaces.settings, user)
        if problems:
            await ack(response_action="errors", errors=field_errors(problems))
            return
        await ack(response_action="update", view=_saving())
        try:
            said = await editor.save(changes, user)
        except Exception as exc:  # the admin is told below; the error's kind is logged
            log.error("could not save the settings: %s", type(exc).__name__)
            said = ["The settings could not be saved just now; please try again."]
        if said:
            shown = _modal(f":warning: {escape(' '.join(said))[:2900]}")
        else:
            log.info("%s changed the settings of %s: %s", user, editor.key, sorted(changes))
            shown = _saved()
        try:
            await client.views_update(view_id=str(view.get("id") or ""), view=shown)
        except SlackApiError as exc:
            log.warning("could not show the settings result: %s", exc.response.get("error"))
        if not said:
            await publish_home(ctx, user)

    return handle


def _modal(text: str, callback_id: str | None = None) -> dict[str, Any]:
    modal = message_modal("Settings", text)
    if callback_id:
        # After the blocks, where this modal has always carried it.
        modal["callback_id"] = callback_id
    return modal


def _saving() -> dict[str, Any]:
    return _modal(":hourglass_flowing_sand: Saving…", SETTINGS_MODAL)


def _saved() -> dict[str, Any]:
    return _modal(":white_check_mark: Saved. The new settings apply from now on.")
