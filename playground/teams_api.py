"""The playground's Bot Connector: what the bot's connector calls reach (send, update, open a
1:1 chat, look up a member), answered from the pretend tenant, with every call logged for
the inspector. Mounted at ``/teams-api``, beside the Bot Framework's OpenID document,
JWKS and token endpoint (playground.bot_framework)."""

from __future__ import annotations

import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from playground.bot_framework import BotFrameworkAuth
from playground.teams_tenant import BOT_ID, TeamsTenant

PREFIX = "/teams-api"
FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
#: The verb of the Allow and Decline buttons of a drawn file consent card.
FILE_CONSENT_VERB = "playground:fileConsent"


class TeamsConnectorApi:
    """The connector routes; ``calls`` is the log the inspector shows."""

    def __init__(self, tenant: TeamsTenant, auth: BotFrameworkAuth) -> None:
        self.tenant = tenant
        self.auth = auth
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        """Every route under /teams-api."""
        base = f"{PREFIX}/v3/conversations"
        return [
            *self.auth.routes(PREFIX),
            Route(base, self._create, methods=["POST"]),
            Route(f"{base}/{{conversation}}/activities", self._send, methods=["POST"]),
            Route(
                f"{base}/{{conversation}}/activities/{{activity}}", self._update, methods=["PUT"]
            ),
            Route(f"{base}/{{conversation}}/members/{{member}}", self._member, methods=["GET"]),
        ]

    def _log(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.calls.append({"route": f"{method} {path}", "status": status})
            del self.calls[:-50]

    def recent(self) -> list[dict[str, Any]]:
        """The latest calls, oldest first."""
        with self._lock:
            return list(self.calls[-25:])

    async def _create(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body() or b"{}")
        members = body.get("members") or [{}]
        person = self.tenant.person(str(members[0].get("id")))
        status = 201 if person else 400
        self._log("POST", "/v3/conversations", status)
        if person is None:
            return JSONResponse({"error": {"code": "BadArgument"}}, status)
        return JSONResponse({"id": person.personal}, status)

    async def _send(self, request: Request) -> JSONResponse:
        conversation = request.path_params["conversation"]
        activity = json.loads(await request.body() or b"{}")
        text, card = _content(activity)
        message_id = self.tenant.post(conversation, BOT_ID, text, card)
        self._log("POST", f"/v3/conversations/{conversation}/activities", 201)
        return JSONResponse({"id": message_id}, 201)

    async def _update(self, request: Request) -> JSONResponse:
        conversation = request.path_params["conversation"]
        message_id = request.path_params["activity"]
        text, card = _content(json.loads(await request.body() or b"{}"))
        found = self.tenant.update(conversation, message_id, text, card)
        status = 200 if found else 404
        self._log("PUT", f"/v3/conversations/{conversation}/activities/{message_id}", status)
        return JSONResponse({"id": message_id}, status)

    async def _member(self, request: Request) -> JSONResponse:
        person = self.tenant.person(request.path_params["member"])
        status = 200 if person else 404
        self._log("GET", f"/v3/conversations/…/members/{request.path_params['member']}", status)
        if person is None:
            return JSONResponse({"error": {"code": "MemberNotFoundInConversation"}}, 404)
        return JSONResponse(
            {
                "id": person.id,
                "name": person.name,
                "email": person.email,
                "userPrincipalName": person.email,
                "aadObjectId": person.aad,
            }
        )


def _content(activity: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """An activity's text and its Adaptive Card, if it carries one; a file consent or file
    info card is drawn as an Adaptive Card of what Teams shows for it."""
    card = None
    for attachment in activity.get("attachments") or []:
        kind = attachment.get("contentType")
        if kind == "application/vnd.microsoft.card.adaptive":
            card = attachment.get("content")
        elif kind == FILE_CONSENT:
            card = _consent_card(attachment)
        elif kind == FILE_INFO:
            card = _file_card(attachment)
    return str(activity.get("text") or ""), card


def _consent_card(attachment: dict[str, Any]) -> dict[str, Any]:
    """Teams' "wants to send you a file" card: Allow and Decline, which the view turns
    into a ``fileConsent/invoke`` (playground.teams_view)."""
    content = attachment.get("content") or {}
    name = str(attachment.get("name") or "")

    def button(title: str, answer: str, context: str) -> dict[str, Any]:
        data = {"answer": answer, "name": name, "context": content.get(context) or {}}
        return {"type": "Action.Execute", "title": title, "verb": FILE_CONSENT_VERB, "data": data}

    return {
        "type": "AdaptiveCard",
        "body": [
            {"type": "TextBlock", "text": "badgebot wants to send you a file", "weight": "Bolder"},
            {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": name}]},
            {
                "type": "RichTextBlock",
                "inlines": [{"type": "TextRun", "text": str(content.get("description") or "")}],
            },
        ],
        "actions": [
            {**button("Allow", "accept", "acceptContext"), "style": "positive"},
            button("Decline", "decline", "declineContext"),
        ],
    }


def _file_card(attachment: dict[str, Any]) -> dict[str, Any]:
    """Teams' file card: the file's name, opened from the pretend OneDrive."""
    name = str(attachment.get("name") or "file")
    return {
        "type": "AdaptiveCard",
        "body": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": f"📄 {name}"}]}],
        "actions": [
            {"type": "Action.OpenUrl", "title": "Open", "url": str(attachment.get("contentUrl"))}
        ],
    }
