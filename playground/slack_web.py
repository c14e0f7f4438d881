"""The playground's Slack Web API as the bots reach it (their SLACK_API_URL): one
``/api/<method>`` for every workspace, as Slack's is, each call answered by the
workspace its token was given for, ``oauth.v2.access`` by the install side, and
``openid.connect.*`` by the sign-in side."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from playground.slack_consent import SlackOAuth
from playground.slack_openid import SlackOpenID
from playground.slack_team import SlackTeam


async def read_args(request: Request) -> dict[str, Any]:
    """A Web API call's arguments: query, form or JSON body, with ``blocks`` and
    ``view`` decoded when they came as JSON strings."""
    args: dict[str, Any] = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        args.update(json.loads(await request.body() or b"{}"))
    else:
        args.update(urllib.parse.parse_qsl((await request.body()).decode()))
    for key in ("blocks", "view"):
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    return args


class SlackWebApi:
    """Routes each call to its workspace: a token the install side gave out acts in the
    workspace that installed; any other (the demo bot's SLACK_BOT_TOKEN) in the demo one."""

    def __init__(
        self, demo: SlackTeam, oauth: SlackOAuth | None = None, openid: SlackOpenID | None = None
    ) -> None:
        self.demo = demo
        self.oauth = oauth
        self.openid = openid

    def routes(self) -> list[Route]:
        """``/api/<method>`` and ``/response/<key>``."""
        return [
            Route("/api/{method}", self.web_api, methods=["GET", "POST"]),
            Route("/response/{key}", self.response_url, methods=["POST"]),
        ]

    def team_for(self, token: str) -> SlackTeam:
        """The workspace a bot token acts in."""
        found = self.oauth.tokens.get(token) if self.oauth else None
        return found or self.demo

    async def web_api(self, request: Request) -> Response:
        """``/api/<method>``, as AsyncWebClient calls it."""
        method = request.path_params["method"]
        args = await read_args(request)
        authorization = request.headers.get("authorization", "")
        if method == "oauth.v2.access":
            if self.oauth is None:
                return JSONResponse({"ok": False, "error": "invalid_client"})
            return JSONResponse(self.oauth.access(args, authorization))
        if method in ("openid.connect.token", "openid.connect.userInfo"):
            # Answered for the app that signs people in, whoever's workspace they are of.
            if self.openid is None:
                return JSONResponse({"ok": False, "error": "invalid_client"})
            if method == "openid.connect.token":
                return JSONResponse(self.openid.token(args, authorization))
            return JSONResponse(self.openid.user_info(authorization))
        token = authorization.removeprefix("Bearer ") or str(args.get("token", ""))
        return JSONResponse(self.team_for(token).api.call(method, args))

    async def response_url(self, request: Request) -> Response:
        """A post to a response_url, handled by the workspace that issued it."""
        key = request.path_params["key"]
        teams = [self.demo, *(self.oauth.teams.values() if self.oauth else [])]
        owner = next((t for t in teams if t.api.owns_reply(key)), self.demo)
        return await owner.api.response_url(request)
