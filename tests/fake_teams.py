"""A fake of Microsoft's side of Teams on loopback: the Bot Framework's OpenID document
and JWKS (with an RSA key the tests sign activities with, so the bot's real JWT check
runs), the Azure AD token endpoint, and the Bot Connector, which records every call."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from playground.bot_framework import BotFrameworkAuth
from tests.fake_graph import GRAPH_IDS, PREFIX, FakeGraph

APP_ID = "0b6c1f3e-8a4d-4c7b-9e2f-5d1a2b3c4d5e"
TENANT_ID = "7d2f9a10-3b4c-4d5e-8f60-718293a4b5c6"
APP_PASSWORD = "teams-client-secret-do-not-log"

#: The people of the fake tenant: Teams id -> (name, email, Azure AD object id). Their
#: emails are the Quantive demo organisation's.
PEOPLE = {
    "29:maria": ("Maria Garcia", "maria.garcia@acme.example", "aad-maria"),
    "29:oliver": ("Oliver Smith", "oliver.smith@acme.example", "aad-oliver"),
    "29:amara": ("Amara Okafor", "amara.okafor@acme.example", "aad-amara"),
    "29:liam": ("Liam Chen", "Liam.Chen@acme.example", "aad-liam"),
    "29:sofia": ("Sofia Rossi", "sofia.rossi@acme.example", "aad-sofia"),
    "29:noah": ("Noah Müller", "noah.muller@acme.example", "aad-noah"),
}
#: A second tenant, for the multi-tenant tests (TEAMS_MULTI_TENANT), and its people: their
#: own ``29:`` and object ids, with the same demo emails, since each tenant's Quantive is
#: an emulator of the same demo organisation.
OTHER_TENANT_ID = "3c9e5b21-6d7f-4a80-9b1c-2d3e4f506172"
OTHER_PEOPLE = {
    "29:t2-maria": ("Maria Garcia", "maria.garcia@acme.example", "aad-t2-maria"),
    "29:t2-amara": ("Amara Okafor", "amara.okafor@acme.example", "aad-t2-amara"),
    "29:t2-liam": ("Liam Chen", "Liam.Chen@acme.example", "aad-t2-liam"),
    "29:t2-noah": ("Noah Müller", "noah.muller@acme.example", "aad-t2-noah"),
}
_EVERYONE = {**PEOPLE, **OTHER_PEOPLE}
#: TEAMS_APPROVERS of the tests: one by email, one by Azure AD object id.
TEAMS_APPROVERS = "maria.garcia@acme.example,aad-oliver"
#: Numbers activity ids, so that two activities built in the same clock tick differ (the
#: bot ignores an activity whose id it has seen: a delivery again).
_ACTIVITY_NUMBERS = itertools.count(1)


class FakeTeams:
    """``url`` is set by the fixture that serves ``app``."""

    def __init__(self) -> None:
        self.auth = BotFrameworkAuth(APP_ID, APP_PASSWORD)
        #: Microsoft Graph's tag members, on the same address (its token from ``auth``).
        self.graph = FakeGraph()
        self._url = ""
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        #: People for whom the app is not installed: opening a chat with them gets 403.
        self.unreachable: set[str] = set()
        #: Seconds the connector waits before answering a send or an update.
        self.latency = 0.0
        #: Sends and updates still to refuse with a 5xx (see :meth:`fail_next`).
        self._failures: list[int] = []
        #: Sends and updates refused so far.
        self.refused = 0
        self.member_lookups = 0
        #: Files the bot PUT to an upload URL (a OneDrive upload session): name ->
        #: (headers, bytes).
        self.uploads: dict[str, tuple[dict[str, str], bytes]] = {}
        self.app = Starlette(
            routes=[
                *self.auth.routes(),
                *self.graph.routes(),
                Route("/v3/conversations", self._create, methods=["POST"]),
                Route("/upload/{name}", self._upload, methods=["PUT"]),
                Route(
                    "/v3/conversations/{conversation}/members/{member}",
                    self._member,
                    methods=["GET"],
                ),
                Route(
                    "/v3/conversations/{conversation}/activities",
                    self._connector,
                    methods=["POST"],
                ),
                Route(
                    "/v3/conversations/{conversation}/activities/{activity}",
                    self._connector,
                    methods=["POST", "PUT"],
                ),
            ]
        )

    @property
    def url(self) -> str:
        """Where the fixture serves ``app``."""
        return self._url

    @url.setter
    def url(self, value: str) -> None:
        self._url = value
        self.auth.base_url = value
        self.graph.base_url = value

    @property
    def token_requests(self) -> list[dict[str, str]]:
        """The forms the token endpoint received."""
        return self.auth.token_requests

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.token_requests.clear()
            self.auth.token_tenants.clear()
            self.auth.token_lifetime = 3600
            self.unreachable.clear()
            self.latency = 0.0
            self.member_lookups = 0
            self.uploads.clear()
            self._failures.clear()
            self.refused = 0
        self.graph.reset()

    def fail_next(self, times: int, status: int = 503) -> None:
        """Refuse the next ``times`` sends or updates with ``status`` (nothing is sent)."""
        with self._lock:
            self._failures = [status] * times

    def settings(self) -> dict[str, str]:
        """The bot's Teams settings, pointed at this fake."""
        return {
            "teams_app_id": APP_ID,
            "teams_app_password": APP_PASSWORD,
            "teams_tenant_id": TENANT_ID,
            "teams_openid_metadata_url": f"{self.url}/v1/.well-known/openidconfiguration",
            "teams_login_url": self.url,
            "teams_service_url": f"{self.url}/",
            "teams_graph_url": f"{self.url}{PREFIX}",
            "teams_approvers": TEAMS_APPROVERS,
        }

    def sign(self, *, service_url: str | None = None, **claims: Any) -> str:
        """A Bot Framework token as Teams sends it; change a claim to forge one."""
        return self.auth.sign(service_url=service_url or f"{self.url}/", **claims)

    def activity(
        self,
        kind: str,
        *,
        user: str = "29:amara",
        conversation: str = "a:amara",
        conversation_type: str | None = None,
        tenant: str = TENANT_ID,
        **fields: Any,
    ) -> dict[str, Any]:
        """An activity from ``user`` in ``conversation`` of ``tenant``, shaped as Teams
        sends it (a ``19:`` conversation is a channel unless ``conversation_type`` says
        otherwise)."""
        if conversation_type is None:
            conversation_type = "channel" if conversation.startswith("19:") else "personal"
        name, _, aad = _EVERYONE.get(user, (user, "", f"aad-{user}"))
        conversation_data: dict[str, Any] = {
            "id": conversation,
            "conversationType": conversation_type,
            "tenantId": tenant,
        }
        return {
            "type": kind,
            "id": f"m{time.time_ns()}.{next(_ACTIVITY_NUMBERS)}",
            "channelId": "msteams",
            "serviceUrl": f"{self.url}/",
            "from": {"id": user, "aadObjectId": aad, "name": name},
            "recipient": {"id": f"28:{APP_ID}", "name": "badgebot"},
            "conversation": conversation_data,
            "channelData": {"tenant": {"id": tenant}},
            "timestamp": "2026-11-28T07:00:00.000Z",
            "locale": "en-US",
            **fields,
        }

    def message(
        self,
        text: str,
        *,
        user: str = "29:amara",
        conversation: str = "a:amara",
        mentions: tuple[str, ...] | list[str] = (),
        conversation_type: str | None = None,
        tenant: str = TENANT_ID,
    ) -> dict[str, Any]:
        """A message from ``user``; ``{name}`` placeholders in ``text`` become mentions of
        the people (Teams ids) in ``mentions``, with their entities."""
        entities = []
        for user_id in mentions:
            name = _EVERYONE[user_id][0] if user_id in _EVERYONE else user_id
            tag = f"<at>{name}</at>"
            text = text.replace("{" + user_id + "}", tag, 1)
            entities.append(
                {"type": "mention", "text": tag, "mentioned": {"id": user_id, "name": name}}
            )
        return self.activity(
            "message",
            user=user,
            conversation=conversation,
            conversation_type=conversation_type,
            text=text,
            entities=entities,
            tenant=tenant,
        )

    def invoke(
        self, name: str, value: dict[str, Any], *, user: str, conversation: str, **fields: Any
    ) -> dict[str, Any]:
        """An invoke activity (a card click, a dialog)."""
        return self.activity(
            "invoke", user=user, conversation=conversation, name=name, value=value, **fields
        )

    def click(
        self,
        card_activity: dict[str, Any],
        action: dict[str, Any],
        *,
        user: str,
        inputs: dict[str, Any] | None = None,
        tenant: str = TENANT_ID,
    ) -> dict[str, Any]:
        """The ``adaptiveCard/action`` invoke of clicking ``action`` on a sent card."""
        return self.invoke(
            "adaptiveCard/action",
            {
                "action": {
                    "type": "Action.Execute",
                    "verb": action["verb"],
                    "data": {**action.get("data", {}), **(inputs or {})},
                },
                "trigger": "manual",
            },
            user=user,
            conversation=card_activity["conversation"],
            replyToId=card_activity["id"],
            tenant=tenant,
        )

    def sent(self) -> list[dict[str, Any]]:
        """Every activity the bot posted, with its conversation and id."""
        with self._lock:
            return [
                {**c["body"], "conversation": c["conversation"], "id": c["id"]}
                for c in self.calls
                if c["method"] == "POST" and c["conversation"] and c["activity"] is None
            ]

    def updates(self) -> list[dict[str, Any]]:
        """Every PUT of a sent activity."""
        with self._lock:
            return [c for c in self.calls if c["method"] == "PUT"]

    def person(self, key: str) -> tuple[str, tuple[str, str, str]] | None:
        """(Teams id, person) by Teams id or Azure AD object id (either the fake's own or
        the GUID Graph names them by)."""
        for user_id, person in _EVERYONE.items():
            if key in (user_id, person[2], GRAPH_IDS.get(user_id)):
                return user_id, person
        return None

    def calls_to(self, conversation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["conversation"] == conversation]

    async def _create(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body() or b"{}")
        found = self.person(str((body.get("members") or [{}])[0].get("id")))
        if found is None:
            return JSONResponse({"error": {"code": "BadArgument"}}, 400)
        user_id, _ = found
        with self._lock:
            self.calls.append(
                {
                    "method": "CREATE",
                    "conversation": "",
                    "activity": None,
                    "body": body,
                    "authorization": request.headers.get("authorization", ""),
                    "id": "",
                }
            )
        if user_id in self.unreachable:
            return JSONResponse({"error": {"code": "Forbidden", "message": "not installed"}}, 403)
        return JSONResponse({"id": f"a:{user_id.removeprefix('29:')}"})

    async def _upload(self, request: Request) -> JSONResponse:
        """OneDrive's upload session: the whole file in one range."""
        body = await request.body()
        with self._lock:
            self.uploads[request.path_params["name"]] = (dict(request.headers), body)
        return JSONResponse({"id": "drive-item-1", "size": len(body)}, 201)

    async def _member(self, request: Request) -> JSONResponse:
        with self._lock:
            self.member_lookups += 1
        found = self.person(request.path_params["member"])
        if found is None:
            return JSONResponse({"error": {"code": "MemberNotFoundInConversation"}}, 404)
        user_id, (name, email, aad) = found
        return JSONResponse(
            {
                "id": user_id,
                "name": name,
                "email": email,
                "userPrincipalName": email,
                "aadObjectId": aad,
                "objectId": aad,
            }
        )

    async def _connector(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body() or b"{}")
        with self._lock:
            status = self._failures.pop(0) if self._failures else None
            self.refused += status is not None
        if status is not None:
            return JSONResponse({"error": {"code": "ServiceUnavailable"}}, status)
        if self.latency:
            await asyncio.sleep(self.latency)
        with self._lock:
            self.calls.append(
                {
                    "method": request.method,
                    "conversation": request.path_params["conversation"],
                    "activity": request.path_params.get("activity"),
                    "authorization": request.headers.get("authorization", ""),
                    "body": body,
                }
            )
            number = len(self.calls)
            activity_id = request.path_params.get("activity") or f"activity-{number}"
            self.calls[-1]["id"] = activity_id
        return JSONResponse({"id": activity_id})
