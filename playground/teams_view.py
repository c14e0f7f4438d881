"""The playground's Teams view: the page's endpoints under ``/teams``, which turn typing
and clicks into activities signed as the Bot Framework signs them and POST them to the
bot's ``/api/messages``. Nothing is switched off in the bot: its real JWT check runs
against the playground's OpenID document and JWKS (playground.bot_framework), and its
connector calls reach the playground (playground.teams_api)."""

from __future__ import annotations

import base64
import html
import re
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from playground.bot_framework import BotFrameworkAuth
from playground.card_render import card_to_html
from playground.slack_team import still_starting
from playground.teams_api import FILE_CONSENT_VERB, PREFIX, TeamsConnectorApi
from playground.teams_files import FILES_PATH, PretendDrive, consent_value
from playground.teams_tenant import (
    BOT_ID,
    TEAM_CHANNELS,
    TENANT_ID,
    Dialog,
    TeamsMessage,
    TeamsTenant,
)

RunDigest = Callable[[], Awaitable[str]]
RecentCalls = Callable[[], list[dict[str, Any]]]
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z][\w.\-]*)")
GIVE_COMMAND = "giveBadge"


def to_teams_message(typed: str, tenant: TeamsTenant) -> tuple[str, list[dict[str, Any]]]:
    """What Teams sends for typed text: HTML-escaped, each ``@first`` name picked from the
    people list (and ``@badgebot``) as an ``<at>`` tag with its mention entity."""
    entities: list[dict[str, Any]] = []

    def mention(match: re.Match[str]) -> str:
        word = match.group(1)
        if word.lower() == "badgebot":
            who, name = BOT_ID, "badgebot"
        else:
            person = tenant.by_first_name(word)
            tag_name = tenant.tag(word) if person is None else None
            if tag_name is not None:
                # A tag: Teams sends its own id (base64) and ``type: tag``.
                at = f"<at>{html.escape(tag_name)}</at>"
                tag_id = base64.b64encode(f"tag:{tag_name}".encode()).decode()
                mentioned = {"id": tag_id, "name": tag_name, "type": "tag"}
                entities.append({"type": "mention", "text": at, "mentioned": mentioned})
                return at
            if person is None:
                return match.group(0)
            who, name = person.id, person.name
        tag = f"<at>{html.escape(name)}</at>"
        entities.append({"type": "mention", "text": tag, "mentioned": {"id": who, "name": name}})
        return tag

    return _MENTION.sub(mention, html.escape(typed)), entities


class TeamsView:
    """The Teams half of the playground."""

    def __init__(
        self,
        tenant: TeamsTenant,
        auth: BotFrameworkAuth,
        run_digest: RunDigest,
        recent_calls: RecentCalls,
    ) -> None:
        self.tenant = tenant
        self.auth = auth
        self.connector = TeamsConnectorApi(tenant, auth)
        self.files = PretendDrive(tenant)
        self.bot_url = ""
        self.base_url = ""
        self._run_digest = run_digest
        self._recent_calls = recent_calls
        self._http = httpx.AsyncClient(timeout=15)

    @property
    def service_url(self) -> str:
        """The connector's address, as activities name it (``serviceUrl``)."""
        return f"{self.base_url}{PREFIX}/"

    def routes(self) -> list[Route]:
        """The page, its endpoints, and Microsoft's side (connector and auth)."""
        return [
            Route("/teams", self.page),
            Route("/teams/ui/state", self.state),
            Route("/teams/ui/send", self.send, methods=["POST"]),
            Route("/teams/ui/action", self.action, methods=["POST"]),
            Route("/teams/ui/extension", self.extension, methods=["POST"]),
            Route("/teams/ui/dialog/submit", self.dialog_submit, methods=["POST"]),
            Route("/teams/ui/dialog/close", self.dialog_close, methods=["POST"]),
            Route("/teams/ui/digest", self.digest, methods=["POST"]),
            Route(f"{FILES_PATH}/{{name}}", self.files.file, methods=["GET", "PUT"]),
            *self.connector.routes(),
        ]

    # --- talking to the bot ---------------------------------------------------------

    def activity(self, kind: str, user: str, conversation: str, **fields: Any) -> dict[str, Any]:
        """An activity from ``user`` in ``conversation``, shaped as Teams sends it."""
        person = self.tenant.people[user]
        return {
            "type": kind,
            "id": f"p{time.time_ns()}",
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": person.id, "aadObjectId": person.aad, "name": person.name},
            "recipient": {"id": BOT_ID, "name": "badgebot"},
            "conversation": {
                "id": conversation,
                "conversationType": "channel" if conversation in TEAM_CHANNELS else "personal",
                "tenantId": TENANT_ID,
            },
            "channelData": {"tenant": {"id": TENANT_ID}},
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "locale": "en-US",
            **fields,
        }

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.auth.sign(service_url=self.service_url)}"}

    async def _post(self, activity: dict[str, Any]) -> httpx.Response:
        if not self.bot_url:
            return still_starting()
        return await self._http.post(
            f"{self.bot_url}/api/messages", json=activity, headers=self._headers()
        )

    def install_everyone(self) -> None:
        """The app installed for every person, as Teams tells the bot: each gets the
        welcome card, and the bot learns who they are."""
        with httpx.Client(timeout=15) as client:
            for person in self.tenant.people.values():
                added = self.activity(
                    "conversationUpdate",
                    person.id,
                    person.personal,
                    membersAdded=[{"id": BOT_ID}],
                )
                client.post(f"{self.bot_url}/api/messages", json=added, headers=self._headers())

    # --- page endpoints -------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        """The Teams page."""
        text = resources.files("playground").joinpath("teams.html").read_text("utf-8")
        return HTMLResponse(text)

    async def state(self, request: Request) -> Response:
        """What one person sees: sidebar, messages, dialog, inspector."""
        tenant = self.tenant
        user = request.query_params.get("user") or "29:amara"
        if user not in tenant.people:
            user = "29:amara"
        conversation = request.query_params.get("conv") or tenant.people[user].personal
        directory = [(p.aad, p.name) for p in tenant.people.values()]
        dialog = tenant.dialogs.get(user)
        messages = [self._message_html(m, user, directory) for m in tenant.visible(conversation)]
        return JSONResponse(
            {
                "version": tenant.version,
                "people": [
                    {"id": p.id, "name": p.name, "first": p.first, "approver": p.approver}
                    for p in tenant.people.values()
                ],
                "conversations": [
                    {"id": cid, "name": name} for cid, name in tenant.conversations(user)
                ],
                "title": tenant.name_of(conversation),
                "messages_html": "\n".join(messages),
                "dialog": None
                if dialog is None
                else {"title": dialog.title, "html": card_to_html(dialog.card, directory, "dlg")},
                "calls": self._recent_calls()[-25:],
                "connector_calls": self.connector.recent(),
            }
        )

    def _message_html(
        self, message: TeamsMessage, user: str, directory: list[tuple[str, str]]
    ) -> str:
        card = message.replaced_for.get(user, message.card)
        if card is not None:
            body = card_to_html(card, directory, f"m{message.id}")
        else:
            body = _text_html(message.text)
        from_bot = message.sender == BOT_ID
        author = "badgebot · App" if from_bot else self._name(message.sender)
        menu = ""
        if not from_bot:
            # A person's message carries the app's message action, as Teams' … menu does.
            menu = '<button class="btn shortcut" data-extension="message">🏅 Give a badge</button>'
        return (
            f'<div class="msg" data-id="{message.id}"><div class="author">'
            f'{html.escape(author)}</div><div class="body">{body}</div>{menu}</div>'
        )

    def _name(self, user_id: str) -> str:
        person = self.tenant.people.get(user_id)
        return person.name if person else user_id

    async def send(self, request: Request) -> Response:
        """Typed text: shown in the conversation, and sent to the bot when it is the
        bot's chat or the bot is @mentioned."""
        data = await request.json()
        user, conversation = data["user"], data["conv"]
        typed = str(data.get("text", "")).strip()
        if not typed:
            return JSONResponse({"ok": False})
        text, entities = to_teams_message(typed, self.tenant)
        self.tenant.post(conversation, user, text)
        to_bot = conversation not in TEAM_CHANNELS or any(
            e["mentioned"]["id"] == BOT_ID for e in entities
        )
        if not to_bot:
            return JSONResponse({"ok": True, "to_bot": False})
        started = time.perf_counter()
        answer = await self._post(
            self.activity("message", user, conversation, text=text, entities=entities)
        )
        return JSONResponse(
            {
                "ok": answer.status_code == 200,
                "to_bot": True,
                "ms": round((time.perf_counter() - started) * 1000),
            }
        )

    async def action(self, request: Request) -> Response:
        """A click on Action.Execute: an ``adaptiveCard/action`` invoke; the card it
        answers with replaces the clicked one for this person."""
        data = await request.json()
        user, conversation, message_id = data["user"], data["conv"], data["message"]
        if data["verb"] == FILE_CONSENT_VERB:
            return await self._file_consent(user, conversation, message_id, data.get("data") or {})
        value = {
            "action": {"type": "Action.Execute", "verb": data["verb"], "data": data.get("data")},
            "trigger": "manual",
        }
        started = time.perf_counter()
        answer = await self._post(
            self.activity(
                "invoke",
                user,
                conversation,
                name="adaptiveCard/action",
                value=value,
                replyToId=message_id,
            )
        )
        elapsed = round((time.perf_counter() - started) * 1000)
        body = answer.json() if answer.content.strip() else {}
        if body.get("type") == "application/vnd.microsoft.card.adaptive":
            self.tenant.replace_for(user, message_id, body["value"])
            return JSONResponse({"ok": True, "ms": elapsed})
        return JSONResponse({"ok": answer.status_code == 200, "toast": body.get("value") or ""})

    async def _file_consent(
        self, user: str, conversation: str, message_id: str, data: dict[str, Any]
    ) -> Response:
        """Allow or Decline on a drawn file consent card: the ``fileConsent/invoke``."""
        value = consent_value(data, f"{self.base_url}{FILES_PATH}")
        activity = self.activity(
            "invoke", user, conversation, name="fileConsent/invoke", value=value
        )
        answer = await self._post({**activity, "replyToId": message_id})
        return JSONResponse({"ok": answer.status_code == 200})

    async def extension(self, request: Request) -> Response:
        """ "Give a badge" from the message box or a message's menu: the dialog."""
        data = await request.json()
        user, conversation = data["user"], data["conv"]
        message = self.tenant.message(str(data.get("message") or ""))
        context = "message" if message is not None else "compose"
        value: dict[str, Any] = {"commandId": GIVE_COMMAND, "commandContext": context}
        if message is not None:
            value["messagePayload"] = {
                "id": message.id,
                "linkToMessage": f"https://teams.microsoft.com/l/message/{conversation}/{message.id}",
                "body": {"contentType": "html", "content": message.text},
            }
        answer = await self._post(
            self.activity(
                "invoke", user, conversation, name="composeExtension/fetchTask", value=value
            )
        )
        self._show_dialog(user, conversation, context, answer)
        return JSONResponse({"ok": answer.status_code == 200})

    def _show_dialog(
        self, user: str, conversation: str, context: str, answer: httpx.Response
    ) -> bool:
        task = (answer.json() if answer.content.strip() else {}).get("task") or {}
        if task.get("type") != "continue":
            self.tenant.open_dialog(user, None)
            return False
        value = task.get("value") or {}
        card = (value.get("card") or {}).get("content")
        self.tenant.open_dialog(
            user, Dialog(str(value.get("title") or ""), card, conversation, context)
        )
        return True

    async def dialog_submit(self, request: Request) -> Response:
        """The dialog's submit: ``composeExtension/submitAction``; the dialog closes,
        unless the bot answers with it again (what is missing)."""
        data = await request.json()
        user = data["user"]
        dialog = self.tenant.dialogs.get(user)
        if dialog is None:
            return JSONResponse({"ok": False})
        value = {
            "commandId": GIVE_COMMAND,
            "commandContext": dialog.context,
            "data": data.get("data") or {},
        }
        answer = await self._post(
            self.activity(
                "invoke",
                user,
                dialog.conversation,
                name="composeExtension/submitAction",
                value=value,
            )
        )
        kept = self._show_dialog(user, dialog.conversation, dialog.context, answer)
        return JSONResponse({"ok": answer.status_code == 200, "open": kept})

    async def dialog_close(self, request: Request) -> Response:
        """Close the person's dialog."""
        self.tenant.open_dialog((await request.json())["user"], None)
        return JSONResponse({"ok": True})

    async def digest(self, request: Request) -> Response:
        """Run the digest job now (Teams conversations subscribed with ``digest here``)."""
        return JSONResponse({"ok": True, "result": await self._run_digest()})


def _text_html(text: str) -> str:
    """A text message: ``<at>`` tags highlighted as mentions, everything else escaped
    (the text was escaped when it was typed, so it is unescaped once first)."""
    parts = re.split(r"(<at>.*?</at>)", text)
    rendered = []
    for part in parts:
        if part.startswith("<at>") and part.endswith("</at>"):
            name = html.escape(html.unescape(part[4:-5]))
            rendered.append(f'<span class="mention">@{name}</span>')
        else:
            rendered.append(html.escape(html.unescape(part)))
    return "".join(rendered).replace("\n", "<br>")
