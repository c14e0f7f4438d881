"""Connect a Teams tenant to Quantive from the bot's chat (multi-tenant mode): an admin
sends ``connect`` and gets the connect card, an Adaptive Card form (region or URL,
account id, API token), the twin of handlers/slack/connect.py's modal.

The form is checked against Quantive (bot.connections.connect) before anything is kept;
the token is stored encrypted and never shown again, nor put back into a card. Who may
connect: the tenant's badge admins (TEAMS_ADMINS, else TEAMS_APPROVERS, as stored for
the tenant over the environment's). A tenant that has none yet is connected by whoever
does it first, who becomes its first admin and approver, as Slack's installer does; a
connected tenant is re-connected only by its admins.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.connections import ConnectionProblem, ConnectionRow, connect
from bot.identity import ChatProfile
from bot.permissions import Permissions
from bot.regions import REGIONS, quantive_host
from bot.secrets import SecretBox
from bot.workspace_services import Workspaces
from handlers.teams import cards
from handlers.teams.cards import run
from handlers.teams.command_parser import parse_message
from handlers.teams.context import Turn
from handlers.teams.directory import is_plausible_teams_id
from handlers.teams.tenants import TenantDoor

log = logging.getLogger(__name__)

#: The verb of the connect card's button.
CONNECT_VERB = "connect_quantive"
#: What an admin sends the bot to get the connect card.
CONNECT_COMMAND = "connect"
ONLY_ADMINS = (
    "Only badgebot's admins in your organisation can connect it to Quantive; nothing changed."
)

_REGION, _URL, _ACCOUNT, _TOKEN = "region", "url", "account", "token"
_CUSTOM = "custom"


def connect_card(problem: str | None = None, values: dict[str, str] | None = None) -> cards.Card:
    """The connect form, with ``problem`` atop it when the last try failed; the token is
    never filled in again."""
    values = values or {}
    choices = [{"title": f"{r.about} ({r.name})", "value": r.name} for r in REGIONS]
    choices.append({"title": "Another URL (below)", "value": _CUSTOM})
    chosen = values.get(_REGION)
    if chosen not in {c["value"] for c in choices}:
        chosen = REGIONS[0].name
    body: list[cards.Element] = [cards.heading("Connect Quantive")]
    if problem:
        # The problem may quote what was typed (a URL): a run, never markdown.
        body.append(cards.rich(run(f"⚠️ {problem}", bold=True)))
    body += [
        cards.note(
            "badgebot gives and approves badges through your Quantive account. Connect it "
            "with your account's region, its account id and an API token (a Quantive admin "
            "issues one under Settings → Configuration → API Tokens)."
        ),
        {
            "type": "Input.ChoiceSet",
            "id": _REGION,
            "label": "Region",
            "style": "compact",
            "isRequired": True,
            "choices": choices,
            "value": chosen,
        },
        _text_input(_URL, "Quantive API URL (only for another URL)", values.get(_URL, "")),
        {**_text_input(_ACCOUNT, "Account id", values.get(_ACCOUNT, "")), "isRequired": True},
        # A password input: Teams hides what is typed (Adaptive Cards 1.5).
        {**_text_input(_TOKEN, "API token", ""), "style": "password", "isRequired": True},
        cards.note("The token is checked with Quantive, stored encrypted, and never shown again."),
    ]
    return cards.card(body, [cards.execute_action("Connect", CONNECT_VERB)])


def connected_card(row: ConnectionRow) -> cards.Card:
    """What came of a connect that worked: the host and the account, never the token."""
    return cards.card(
        [
            cards.rich(
                run("✅ Connected to "),
                run(quantive_host(row.quantive_url), bold=True),
                run(", account "),
                run(row.account_id, bold=True),
                run(". People can give badges now: “give @someone Badge why”."),
            )
        ]
    )


def _text_input(input_id: str, label: str, value: str) -> cards.Element:
    element: cards.Element = {"type": "Input.Text", "id": input_id, "label": label}
    if value:
        element["value"] = cards.plain(value, 500)
    return element


def is_connect_message(turn: Turn) -> bool:
    """Whether a message is the ``connect`` command (the bot's mention removed)."""
    return parse_message(turn.activity).verb == CONNECT_COMMAND


def connect_verb(turn: Turn) -> bool:
    """Whether an invoke is a click on the connect card's button."""
    if turn.activity.get("name") != "adaptiveCard/action":
        return False
    verb, _ = cards.clicked_action(turn.activity)
    return verb == CONNECT_VERB


def identity_of(profile: ChatProfile) -> str | None:
    """How a person is listed in TEAMS_ADMINS: their email, else their object id."""
    return profile.email.lower() if profile.email else next(iter(profile.aliases), None)


#: Who connects a tenant nobody administers yet becomes these (Teams' lists).
FIRST_ADMIN_SETTINGS = ("teams_admins", "teams_approvers")


class TeamsConnect:
    """The connect command and the connect card's button, over the core's workspaces."""

    def __init__(self, workspaces: Workspaces, box: SecretBox) -> None:
        self._workspaces = workspaces
        self._box = box

    async def may_connect(self, key: str, profile: ChatProfile) -> bool:
        """Whether the person may connect the tenant: one of its badge admins, or anyone
        while it has none and no connection (they become its first admin)."""
        settings = await self._workspaces.settings_for(key)
        if Permissions.of(settings).can_administer(
            profile.user_id, platform="teams", aliases=profile.aliases
        ):
            return True
        if settings.teams_admins or settings.teams_approvers:
            return False
        connected = await self._workspaces.store.for_workspace(key).connection()
        return connected is None and identity_of(profile) is not None

    async def command(self, door: TenantDoor, turn: Turn) -> None:
        """``connect``: the connect card for those who may, a sentence for the others."""
        profile = await door.directory.profile(turn.sender, turn.ref)
        if not await self.may_connect(door.key, profile):
            await door.say(turn, cards.text_message(ONLY_ADMINS))
            return
        await door.say(turn, cards.card_message(connect_card(), "Connect Quantive"))

    async def submitted(self, door: TenantDoor, turn: Turn) -> dict[str, Any]:
        """The connect card's button: check with Quantive, keep the connection (token
        encrypted), and answer with the result card, or the form again with what to fix."""
        _, data = cards.clicked_action(turn.activity)
        values = {name: str(data.get(name) or "").strip() for name in (_REGION, _URL, _ACCOUNT)}
        token = str(data.get(_TOKEN) or "").strip()
        profile = await door.directory.profile(turn.sender, turn.ref)
        if not await self.may_connect(door.key, profile):
            log.info("refused a connect of %s by someone not its admin", door.key)
            return cards.message_response(ONLY_ADMINS)
        if values[_REGION] == _CUSTOM and not values[_URL]:
            return self._answer(
                door, turn, connect_card("Give the API URL, or choose a region.", values)
            )
        url = values[_URL] if values[_REGION] == _CUSTOM else values[_REGION]
        who = identity_of(profile) or profile.user_id
        try:
            row = await connect(
                self._workspaces.store, self._box, door.key, url, values[_ACCOUNT], token, who
            )
        except ConnectionProblem as problem:
            return self._answer(door, turn, connect_card(str(problem), values))
        await self._workspaces.seed_first_admins(door.key, who, FIRST_ADMIN_SETTINGS)
        await self._workspaces.forget(door.key)
        log.info("%s connected to Quantive at %s", door.key, quantive_host(row.quantive_url))
        return self._answer(door, turn, connected_card(row))

    def _answer(self, door: TenantDoor, turn: Turn, content: cards.Card) -> dict[str, Any]:
        """Answer with ``content`` for the person who clicked, and replace the card for
        everyone too: an answer that came after ANSWER_WITHIN reaches them only so."""
        posted = turn.activity.get("replyToId")
        if is_plausible_teams_id(posted):
            message = cards.card_message(content, "Connect Quantive")
            ref = turn.ref
            door.later(
                door.connector.update(ref.service_url, ref.conversation_id, posted, message),
                "connect card update",
            )
        return cards.card_response(content)
