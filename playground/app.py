"""The playground's web app: the page, its JSON endpoints, and the Slack Web API it plays.

The page's endpoints turn clicks and typing into real signed requests to the bot.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from playground.render import blocks_to_html, mrkdwn_to_html
from playground.slack_api import ReplyTarget, SlackApi
from playground.static import static_routes
from playground.teams_view import TeamsView
from playground.workspace import BOT_USER_ID, CHANNELS, USERGROUPS, Workspace

RunDigest = Callable[[], Awaitable[str]]
RecentCalls = Callable[[], list[dict[str, Any]]]


def to_slack_text(typed: str, workspace: Workspace) -> str:
    """What Slack sends for typed text with ``should_escape``: &, < and > escaped, and
    @name, @group, @channel and #channel turned into references."""
    text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    by_name = {p.name: p for p in workspace.people.values()}
    groups = {handle: gid for gid, (handle, _) in USERGROUPS.items()}
    channels = {name: cid for cid, name in CHANNELS.items()}

    def mention(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name in ("channel", "here", "everyone"):
            return f"<!{name}>"
        if name in by_name:
            return f"<@{by_name[name].id}|{name}>"
        if name in groups:
            return f"<!subteam^{groups[name]}|@{name}>"
        return match.group(0)

    text = re.sub(r"(?<![\w@])@([A-Za-z][\w.\-]*)", mention, text)
    return re.sub(
        r"(?<![\w#])#([a-z][\w\-]*)",
        lambda m: (
            f"<#{channels[m.group(1)]}|{m.group(1)}>" if m.group(1) in channels else m.group(0)
        ),
        text,
    )


class Playground:
    """Holds the workspace and sends the bot signed requests on the page's behalf."""

    def __init__(
        self,
        workspace: Workspace,
        signing_secret: str,
        run_digest: RunDigest,
        recent_calls: RecentCalls,
        teams: TeamsView | None = None,
    ) -> None:
        self.workspace = workspace
        self.teams = teams
        self.api = SlackApi(workspace)
        self.bot_url = ""
        self._verifier = SignatureVerifier(signing_secret)
        self._run_digest = run_digest
        self._recent_calls = recent_calls
        self._http = httpx.AsyncClient(timeout=10)
        self.app = Starlette(
            routes=[
                *static_routes(),
                Route("/api/{method}", self.api.web_api, methods=["GET", "POST"]),
                Route("/response/{key}", self.api.response_url, methods=["POST"]),
                Route("/ui/state", self.state),
                Route("/ui/command", self.command, methods=["POST"]),
                Route("/ui/action", self.action, methods=["POST"]),
                Route("/ui/submit", self.submit, methods=["POST"]),
                Route("/ui/close", self.close, methods=["POST"]),
                Route("/ui/options", self.options, methods=["POST"]),
                Route("/ui/home", self.home, methods=["POST"]),
                Route("/ui/shortcut", self.shortcut, methods=["POST"]),
                Route("/ui/digest", self.digest, methods=["POST"]),
                *(teams.routes() if teams else []),
            ]
        )

    # --- talking to the bot ---------------------------------------------------------

    async def _send(self, body: str, content_type: str) -> httpx.Response:
        ts = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }
        return await self._http.post(f"{self.bot_url}/slack/events", content=body, headers=headers)

    async def _interactive(self, payload: dict[str, Any]) -> httpx.Response:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self._send(body, "application/x-www-form-urlencoded")

    def _user(self, user: str) -> dict[str, str]:
        return {"id": user, "username": self.workspace.name_of(user), "team_id": "T1"}

    # --- page endpoints -------------------------------------------------------------

    async def state(self, request: Request) -> Response:
        """What one person sees: sidebar, messages, modal, Home, inspector."""
        ws = self.workspace
        user = request.query_params.get("user") or next(iter(ws.people))
        channel = request.query_params.get("channel") or "CGENERAL"
        if channel != "HOME":
            ws.mark_read(user, channel)
        people = [
            {"id": p.id, "name": p.real_name, "approver": p.approver} for p in ws.people.values()
        ]
        conversations = [
            {"id": cid, "name": name, "unread": ws.unread(user, cid)}
            for cid, name in ws.conversations(user)
        ]
        roster = [(p.id, p.real_name) for p in ws.people.values()]
        modal = ws.modals.get(user)
        modal_html = None
        if modal is not None:
            modal_html = blocks_to_html(modal.view.get("blocks"), ws.name_of, roster, modal.errors)
        messages = [self._message_html(m) for m in ws.visible(user, channel)]
        home = ws.homes.get(user)
        return JSONResponse(
            {
                "version": ws.version,
                "people": people,
                "conversations": conversations,
                "channel_name": "Home" if channel == "HOME" else ws.channel_name(channel),
                "messages_html": "\n".join(messages),
                "home_html": blocks_to_html(home.get("blocks"), ws.name_of, roster) if home else "",
                "modal": None
                if modal is None
                else {
                    "title": modal.view.get("title", {}).get("text", ""),
                    "submit": (modal.view.get("submit") or {}).get("text", "Submit"),
                    "html": modal_html,
                },
                "calls": self._recent_calls()[-25:],
            }
        )

    def _message_html(self, message: Any) -> str:
        ws = self.workspace
        body = (
            blocks_to_html(message.blocks, ws.name_of)
            if message.blocks
            else mrkdwn_to_html(message.text, ws.name_of)
        )
        note = '<div class="ephemeral">Only visible to you</div>' if message.ephemeral_to else ""
        if message.user != BOT_USER_ID:
            # People's messages carry the app's message shortcut, as Slack's "⋯" menu does.
            note += (
                '<button class="btn shortcut" data-shortcut="give_badge_for_message">'
                "🏅 Give a badge for this</button>"
            )
        author = html.escape(ws.name_of(message.user))
        return (
            f'<div class="msg" data-ts="{message.ts}" data-channel="{message.channel}">'
            f'<div class="author">{author}{" · APP" if message.user == BOT_USER_ID else ""}'
            f'</div><div class="body">{body}</div>{note}</div>'
        )

    async def command(self, request: Request) -> Response:
        """Typed text: a signed slash command for `/badge`, else a plain message."""
        data = await request.json()
        user, channel = data["user"], data["channel"]
        typed = str(data.get("text", "")).strip()
        if not typed.startswith("/badge"):
            self.workspace.post(channel, user, to_slack_text(typed, self.workspace))
            return JSONResponse({"ok": True})
        text = to_slack_text(typed.removeprefix("/badge").strip(), self.workspace)
        body = urllib.parse.urlencode(
            {
                "token": "playground",
                "team_id": "T1",
                "team_domain": "playground",
                "channel_id": channel,
                "channel_name": CHANNELS.get(channel, "directmessage"),
                "user_id": user,
                "user_name": self.workspace.name_of(user),
                "command": "/badge",
                "text": text,
                "api_app_id": "A1",
                "trigger_id": self.api.new_trigger(user),
                "response_url": self.api.new_response_url(ReplyTarget(user, channel)),
            }
        )
        started = time.perf_counter()
        response = await self._send(body, "application/x-www-form-urlencoded")
        return JSONResponse(
            {
                "ok": response.status_code == 200,
                "ack_ms": round((time.perf_counter() - started) * 1000),
            }
        )

    async def action(self, request: Request) -> Response:
        """A button click, as a signed block_actions payload."""
        data = await request.json()
        user, surface = data["user"], data.get("surface", "message")
        action = {
            "action_id": data["action_id"],
            "block_id": data.get("block_id", ""),
            "value": data.get("value", ""),
            "type": "button",
            "action_ts": str(time.time()),
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "playground"},
            "user": self._user(user),
            "api_app_id": "A1",
            "token": "playground",
            "trigger_id": self.api.new_trigger(user),
            "actions": [action],
        }
        if surface == "message":
            channel, ts = data["channel"], data["ts"]
            message = next((m for m in self.workspace.visible(user, channel) if m.ts == ts), None)
            payload |= {
                "container": {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel,
                    "is_ephemeral": bool(message and message.ephemeral_to),
                },
                "channel": {"id": channel, "name": CHANNELS.get(channel, "directmessage")},
                "message": {
                    "ts": ts,
                    "text": message.text if message else "",
                    "blocks": message.blocks if message else [],
                },
                "response_url": self.api.new_response_url(ReplyTarget(user, channel, ts)),
            }
        else:
            view = (
                self.workspace.homes.get(user)
                if surface == "home"
                else getattr(self.workspace.modals.get(user), "view", {})
            ) or {}
            payload |= {
                "container": {"type": "view", "view_id": f"V{user}"},
                "view": {**view, "id": f"V{user}"},
            }
        response = await self._interactive(payload)
        return JSONResponse({"ok": response.status_code == 200})

    async def submit(self, request: Request) -> Response:
        """A modal's submit, as a signed view_submission; shows the bot's field errors."""
        data = await request.json()
        user = data["user"]
        modal = self.workspace.modals.get(user)
        if modal is None:
            return JSONResponse({"ok": False})
        values: dict[str, dict[str, Any]] = {}
        for field in data.get("fields", []):
            kind, value = field["kind"], field.get("value")
            if kind == "plain_text_input":
                state: dict[str, Any] = {"value": value or None}
            elif kind == "multi_users_select":
                state = {"selected_users": value or []}
            elif kind == "users_select":
                state = {"selected_user": value or None}
            else:
                state = {
                    "selected_option": {
                        "value": value,
                        "text": {"type": "plain_text", "text": field.get("label") or value},
                    }
                    if value
                    else None
                }
            values.setdefault(field["block"], {})[field["action"]] = {"type": kind, **state}
        payload = {
            "type": "view_submission",
            "team": {"id": "T1", "domain": "playground"},
            "user": self._user(user),
            "api_app_id": "A1",
            "token": "playground",
            "trigger_id": self.api.new_trigger(user),
            "view": {**modal.view, "id": f"V{user}", "state": {"values": values}},
        }
        response = await self._interactive(payload)
        answer = response.json() if response.content.strip() else {}
        if answer.get("response_action") == "errors":
            self.workspace.close_modal(user, answer.get("errors") or {"": "error"})
        elif answer.get("response_action") == "update":
            self.workspace.open_modal(user, answer["view"])
        else:
            self.workspace.close_modal(user)
        return JSONResponse({"ok": response.status_code == 200, "answer": answer})

    async def close(self, request: Request) -> Response:
        """Close the person's modal."""
        data = await request.json()
        self.workspace.close_modal(data["user"])
        return JSONResponse({"ok": True})

    async def options(self, request: Request) -> Response:
        """An external select's options, asked of the bot."""
        data = await request.json()
        user = data["user"]
        modal = self.workspace.modals.get(user)
        payload = {
            "type": "block_suggestion",
            "team": {"id": "T1"},
            "user": self._user(user),
            "api_app_id": "A1",
            "token": "playground",
            "action_id": data["action_id"],
            "block_id": data["block_id"],
            "value": data.get("value", ""),
            "view": {**(modal.view if modal else {}), "id": f"V{user}"},
        }
        response = await self._interactive(payload)
        return JSONResponse(response.json() if response.content.strip() else {"options": []})

    async def home(self, request: Request) -> Response:
        """Opening the Home tab, as a signed app_home_opened event."""
        data = await request.json()
        body = json.dumps(
            {
                "token": "playground",
                "team_id": "T1",
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "event": {
                    "type": "app_home_opened",
                    "user": data["user"],
                    "tab": "home",
                    "channel": "D" + data["user"],
                },
            }
        )
        response = await self._send(body, "application/json")
        return JSONResponse({"ok": response.status_code == 200})

    async def shortcut(self, request: Request) -> Response:
        """A message shortcut, as a signed message_action payload."""
        data = await request.json()
        user, channel, ts = data["user"], data["channel"], data["ts"]
        message = next((m for m in self.workspace.visible(user, channel) if m.ts == ts), None)
        if message is None:
            return JSONResponse({"ok": False})
        payload = {
            "type": "message_action",
            "callback_id": data["callback_id"],
            "team": {"id": "T1", "domain": "playground"},
            "user": self._user(user),
            "channel": {"id": channel, "name": CHANNELS.get(channel, "directmessage")},
            "message": {"user": message.user, "ts": message.ts, "text": message.text},
            "trigger_id": self.api.new_trigger(user),
            "token": "playground",
            "api_app_id": "A1",
            "response_url": self.api.new_response_url(ReplyTarget(user, channel)),
        }
        response = await self._interactive(payload)
        return JSONResponse({"ok": response.status_code == 200})

    async def digest(self, request: Request) -> Response:
        """Run the digest job now."""
        return JSONResponse({"ok": True, "result": await self._run_digest()})
