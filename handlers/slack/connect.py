"""Connect Quantive from Slack: the Home tab of a workspace that is not connected yet, and
the form an admin fills in (region or URL, account id, API token).

The form is checked against Quantive (one page of ``GET /badges``) before anything is
kept; the token is stored encrypted (bot.connections) and never shown again, only its
last four characters. Who may connect: the workspace's badge admins (the installer, until
someone changes that) and Slack's admins and owners.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.connections import ConnectionProblem, ConnectionRow, connect
from bot.regions import REGIONS, quantive_host
from bot.secrets import SecretBox
from bot.workspace_services import Workspaces
from handlers.slack.block_limits import Block
from handlers.slack.dispatch import CONTEXT_KEY, UNCONNECTED_KEY, request_workspace
from handlers.slack.modals import form_modal, message_modal
from handlers.slack.mrkdwn import escape
from handlers.slack.payload import dig, field_value

log = logging.getLogger(__name__)

#: Who connects a workspace nobody administers yet becomes these (Slack's lists).
FIRST_ADMIN_SETTINGS = ("badge_admins", "badge_approvers")

CONNECT_OPEN = "connect_quantive_open"
CONNECT_MODAL = "connect_quantive"
#: The requests of the connect flow, let through for a workspace not connected yet.
CONNECT_IDS = frozenset({CONNECT_OPEN, CONNECT_MODAL})

_REGION, _URL, _ACCOUNT, _TOKEN = "region", "url", "account", "token"
_CUSTOM = "custom"


def connect_home(may_connect: bool) -> dict[str, Any]:
    """The Home tab of a workspace without a Quantive connection."""
    if not may_connect:
        text = (
            "badgebot is not connected to Quantive yet; an admin can connect it from "
            "badgebot's Home tab."
        )
        return {"type": "home", "blocks": [_section(text)]}
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Connect Quantive"}},
            _section(
                "badgebot gives and approves badges through your Quantive account. Connect "
                "it with your account's region, its account id and an API token (a Quantive "
                "admin issues one under *Settings → Configuration → API Tokens*)."
            ),
            connection_actions("Connect Quantive"),
        ],
    }


def connection_blocks(row: ConnectionRow) -> list[Block]:
    """What an admin's Home tab shows of the workspace's connection (never the token)."""
    return [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Quantive connection"}},
        _section(
            f"Connected to *{escape(quantive_host(row.quantive_url))}*, account "
            f"`{escape(row.account_id)}`, token ending `{escape(row.token_last4)}`."
        ),
        connection_actions("Change connection"),
    ]


def connection_actions(label: str) -> Block:
    """The button that opens the connect form."""
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": CONNECT_OPEN,
                "style": "primary",
                "text": {"type": "plain_text", "text": label},
                "value": "connect",
            }
        ],
    }


def connect_form(problem: str | None = None, values: dict[str, str] | None = None) -> dict:
    """The connect modal, with ``problem`` atop it when the last try failed (the token is
    never filled in again)."""
    values = values or {}
    region_options = [_option(f"{r.about} ({r.name})", r.name) for r in REGIONS]
    region_options.append(_option("Another URL (below)", _CUSTOM))
    chosen = next((o for o in region_options if o["value"] == values.get(_REGION)), None)
    region: dict[str, Any] = {
        "type": "static_select",
        "action_id": _REGION,
        "options": region_options,
        "initial_option": chosen or region_options[0],
    }
    blocks: list[Block] = []
    if problem:
        blocks.append(_section(f":warning: {escape(problem)}"))
    blocks += [
        {"type": "input", "block_id": _REGION, "label": _plain("Region"), "element": region},
        _text_input(_URL, "Quantive API URL (only for another URL)", values.get(_URL), True),
        _text_input(_ACCOUNT, "Account id", values.get(_ACCOUNT), False),
        _text_input(_TOKEN, "API token", None, False),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "The token is checked with Quantive, stored encrypted, and never "
                    "shown again.",
                }
            ],
        },
    ]
    return form_modal(CONNECT_MODAL, "Connect Quantive", "Connect", blocks)


def _checking_view() -> dict[str, Any]:
    text = ":hourglass_flowing_sand: Checking with Quantive…"
    return message_modal("Connect Quantive", text, callback_id=CONNECT_MODAL)


def _done_view(row: ConnectionRow) -> dict[str, Any]:
    text = (
        f":white_check_mark: Connected to *{escape(quantive_host(row.quantive_url))}*, "
        f"account `{escape(row.account_id)}`. People can give badges now: "
        "`/badge give @someone Badge for…`."
    )
    return message_modal("Connect Quantive", text[:3000], close="Done")


class ConnectFlow:
    """The listeners of the connect flow, over the core's workspaces."""

    def __init__(self, workspaces: Workspaces, box: SecretBox) -> None:
        self._workspaces = workspaces
        self._box = box
        self._tasks: set[asyncio.Task[None]] = set()
        #: Called after a workspace is connected, with its key and who connected it, to
        #: republish their Home tab.
        self.after_connect: list[Any] = []

    async def may_connect(self, key: str, user_id: str, client: AsyncWebClient) -> bool:
        """Whether the person may connect the workspace: a badge admin of it (the
        installer at first), or a Slack admin or owner."""
        settings = await self._workspaces.settings_for(key)
        if user_id in settings.admins:
            return True
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            log.warning("could not look up who wants to connect: %s", exc.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def home(self, args: AsyncArgs) -> None:
        """The Home tab of a workspace not connected yet: the connect button for those
        who may connect it, and who can for everyone else."""
        key = unconnected_key(args)
        user_id = dig(args.body, "event", "user", default="")
        if key is None or not isinstance(user_id, str) or not user_id:
            return
        may = await self.may_connect(key, user_id, args.client)
        try:
            await args.client.views_publish(user_id=user_id, view=connect_home(may))
        except SlackApiError as exc:
            log.warning("could not publish the connect Home: %s", exc.response.get("error"))

    async def open_form(self, args: AsyncArgs) -> None:
        """Open the connect form at once (a trigger id lives three seconds)."""
        await args.ack()
        trigger = args.body.get("trigger_id")
        if isinstance(trigger, str) and trigger:
            await args.client.views_open(trigger_id=trigger, view=connect_form())

    async def submitted(self, args: AsyncArgs) -> None:
        """Check the form's fields, show "Checking…", then check with Quantive and show
        what came of it; nothing is kept unless Quantive accepted the token."""
        view = args.body.get("view") or {}
        values = {
            _REGION: str(dig(field_value(view, _REGION, _REGION) or {}, "value", default="")),
            _URL: str(field_value(view, _URL, _URL) or "").strip(),
            _ACCOUNT: str(field_value(view, _ACCOUNT, _ACCOUNT) or "").strip(),
        }
        token = str(field_value(view, _TOKEN, _TOKEN) or "").strip()
        if values[_REGION] == _CUSTOM and not values[_URL]:
            await args.ack(
                response_action="errors",
                errors={_URL: "Give the API URL, or choose a region above."},
            )
            return
        key = request_workspace(args)
        user_id = str(dig(args.body, "user", "id", default=""))
        if key is None or not user_id:
            await args.ack()
            return
        if not _from_the_workspace(args):
            # A guest from another workspace (Slack Connect) never connects this one,
            # whatever their rights at home.
            await args.ack(
                response_action="errors",
                errors={_TOKEN: "Only people of this workspace can connect it."},
            )
            return
        await args.ack(response_action="update", view=_checking_view())
        task = asyncio.create_task(
            self._check(args.client, key, user_id, str(view.get("id") or ""), values, token)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _check(
        self,
        client: AsyncWebClient,
        key: str,
        user_id: str,
        view_id: str,
        values: dict[str, str],
        token: str,
    ) -> None:
        url = values[_URL] if values[_REGION] == _CUSTOM else values[_REGION]
        if not await self.may_connect(key, user_id, client):
            view = connect_form(
                "Only badgebot's admins and the workspace's admins and owners can connect it.",
                values,
            )
        else:
            try:
                row = await connect(
                    self._workspaces.store, self._box, key, url, values[_ACCOUNT], token, user_id
                )
            except ConnectionProblem as problem:
                view = connect_form(str(problem), values)
            else:
                await self._workspaces.seed_first_admins(
                    key, user_id, ("badge_admins", "badge_approvers")
                )
                await self._workspaces.forget(key)
                log.info("%s connected to Quantive at %s", key, quantive_host(row.quantive_url))
                view = _done_view(row)
                for hook in self.after_connect:
                    await hook(key, user_id)
        try:
            await client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            log.warning("could not show the connect result: %s", exc.response.get("error"))


def _from_the_workspace(args: AsyncArgs) -> bool:
    """Whether the person who submitted belongs to the request's workspace (for an org-wide
    install, to a workspace of that org); a payload that does not say is taken at its
    word, as Slack always says."""
    home = dig(args.body, "user", "team_id", default="")
    if not home:
        return True
    context = args.context
    if context.is_enterprise_install:
        return bool(context.enterprise_id) and (
            home == context.team_id
            or dig(args.body, "enterprise", "id", default="") == context.enterprise_id
        )
    return home == context.team_id


def unconnected_key(args: AsyncArgs) -> str | None:
    """The workspace key the middleware left for a request of a workspace not connected
    yet; None when the workspace is connected (its context is there instead)."""
    if CONTEXT_KEY in args.context:
        return None
    key = args.context.get(UNCONNECTED_KEY)
    return key if isinstance(key, str) else None


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text[:75]), "value": value}


def _text_input(block_id: str, label: str, initial: str | None, optional: bool) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id}
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _plain(label),
        "element": element,
    }
