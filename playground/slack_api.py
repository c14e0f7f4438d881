"""One workspace's Slack Web API: the methods the bot's AsyncWebClient calls, and the
response_url receiver. Every call changes the workspace the page shows; which workspace
a call is for is playground.slack_web's choice, by its token."""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from playground.workspace import BOT_USER_ID, USERGROUPS, Workspace


@dataclass(frozen=True)
class ReplyTarget:
    """Where a response_url posts: to whom, in which conversation, and which message."""

    user: str
    channel: str
    message_ts: str | None = None


class SlackApi:
    """Answers Web API methods from the workspace."""

    def __init__(
        self, workspace: Workspace, team_id: str = "T1", team_name: str = "Playground"
    ) -> None:
        self.workspace = workspace
        self.team_id = team_id
        self.team_name = team_name
        self._counter = itertools.count(1)
        self._run = secrets.token_hex(4)
        self._triggers: dict[str, str] = {}
        self._replies: dict[str, ReplyTarget] = {}
        self.base_url = ""

    def new_trigger(self, user: str) -> str:
        """A trigger_id that opens a modal for ``user``."""
        # Unique across runs too: the bot remembers trigger_ids to refuse replays.
        trigger = f"{next(self._counter)}.{self._run}.playground.trigger"
        self._triggers[trigger] = user
        return trigger

    def new_response_url(self, target: ReplyTarget) -> str:
        """A response_url that posts to ``target``."""
        # Named after the workspace: one /response/ route serves every workspace's keys.
        key = f"{self.team_id}r{next(self._counter)}"
        self._replies[key] = target
        return f"{self.base_url}/response/{key}"

    def owns_reply(self, key: str) -> bool:
        """Whether ``key`` is one of this workspace's response_urls."""
        return key in self._replies

    def call(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """One Web API method."""
        ws = self.workspace
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER_ID,
                "bot_id": "BBADGEBOT",
                "team_id": self.team_id,
                "team": self.team_name,
                "user": "badgebot",
                "url": f"https://{self.team_name.lower().replace(' ', '-')}.slack.com/",
            }
        if method == "chat.postMessage":
            channel = self._conversation(str(args.get("channel", "")))
            message = ws.post(channel, BOT_USER_ID, str(args.get("text") or ""), args.get("blocks"))
            return {"ok": True, "channel": channel, "ts": message.ts}
        if method == "chat.update":
            found = ws.update(
                str(args.get("channel")), str(args.get("ts")), args.get("text"), args.get("blocks")
            )
            return {
                "ok": found,
                "error": None if found else "message_not_found",
                "channel": args.get("channel"),
                "ts": args.get("ts"),
            }
        if method == "chat.postEphemeral":
            channel = self._conversation(str(args.get("channel", "")))
            message = ws.post(
                channel,
                BOT_USER_ID,
                str(args.get("text") or ""),
                args.get("blocks"),
                ephemeral_to=str(args.get("user")),
            )
            return {"ok": True, "message_ts": message.ts}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).split(",")[0]}}
        if method == "users.info":
            person = ws.people.get(str(args.get("user")))
            if person is None:
                return {"ok": False, "error": "user_not_found"}
            return {
                "ok": True,
                "user": {
                    "id": person.id,
                    "name": person.name,
                    "is_bot": False,
                    "deleted": False,
                    "profile": {
                        "display_name": person.name,
                        "real_name": person.real_name,
                        "email": person.email,
                    },
                },
            }
        if method == "users.lookupByEmail":
            email = str(args.get("email", "")).lower()
            person = next((p for p in ws.people.values() if p.email == email), None)
            if person is None:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": {"id": person.id, "name": person.name}}
        if method in ("views.open", "views.push"):
            user = self._triggers.pop(str(args.get("trigger_id")), None)
            if user is None:
                return {"ok": False, "error": "trigger_exchanged"}
            ws.open_modal(user, args.get("view") or {})
            return {"ok": True, "view": {"id": f"V{user}"}}
        if method == "views.update":
            view_id = str(args.get("view_id", ""))
            if view_id.startswith("V"):
                ws.open_modal(view_id[1:], args.get("view") or {})
            return {"ok": True, "view": {"id": view_id}}
        if method == "views.publish":
            ws.publish_home(str(args.get("user_id")), args.get("view") or {})
            return {"ok": True, "view": {"id": "VHOME"}}
        if method == "usergroups.users.list":
            group = USERGROUPS.get(str(args.get("usergroup")))
            return {"ok": True, "users": group[1] if group else []}
        return {"ok": True}

    def _conversation(self, channel: str) -> str:
        # A bot posting to a user id writes to their DM with the bot.
        return "D" + channel if channel.startswith("U") else channel

    async def response_url(self, request: Request) -> Response:
        """A post to a response_url: an ephemeral reply, or a change to the original."""
        target = self._replies.get(request.path_params["key"])
        if target is None:
            return Response("unknown response_url", status_code=404)
        body = json.loads(await request.body() or b"{}")
        ws = self.workspace
        if body.get("delete_original") and target.message_ts:
            ws.delete(target.channel, target.message_ts)
        elif body.get("replace_original") and target.message_ts:
            ws.update(target.channel, target.message_ts, body.get("text"), body.get("blocks"))
        else:
            ephemeral = None if body.get("response_type") == "in_channel" else target.user
            ws.post(
                target.channel,
                BOT_USER_ID,
                str(body.get("text") or ""),
                body.get("blocks"),
                ephemeral_to=ephemeral,
            )
        return Response("ok")
