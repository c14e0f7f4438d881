"""The page's Slack endpoints that talk to a bot: typing, clicks, form submits, option
lists, the Home tab and message shortcuts, each turned into the signed request Slack
would send the app installed in that workspace (playground.slack_team)."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from playground.slack_api import ReplyTarget
from playground.slack_team import SlackTeam, to_slack_text
from playground.workspace import CHANNELS, SLACKBOT_USER_ID

#: What Slack answers a slash command no installed app provides.
NOT_INSTALLED = "/badge is not a valid command: badgebot is not installed in {name} yet."


class SlackRequests:
    """The endpoints, for every workspace on the page (``ws`` in each request)."""

    def __init__(self, teams: dict[str, SlackTeam]) -> None:
        self.teams = teams
        self._demo = next(iter(teams.values()))

    def team_of(self, data: dict[str, Any]) -> SlackTeam:
        """The workspace a request of the page is about (the demo one when unnamed)."""
        return self.teams.get(str(data.get("ws") or ""), self._demo)

    def routes(self) -> list[Route]:
        """The routes of these endpoints."""
        return [
            Route("/ui/command", self.command, methods=["POST"]),
            Route("/ui/action", self.action, methods=["POST"]),
            Route("/ui/submit", self.submit, methods=["POST"]),
            Route("/ui/close", self.close, methods=["POST"]),
            Route("/ui/options", self.options, methods=["POST"]),
            Route("/ui/home", self.home, methods=["POST"]),
            Route("/ui/shortcut", self.shortcut, methods=["POST"]),
        ]

    async def command(self, request: Request) -> Response:
        """Typed text: a signed slash command for `/badge`, else a plain message."""
        data = await request.json()
        team = self.team_of(data)
        user, channel = data["user"], data["channel"]
        typed = str(data.get("text", "")).strip()
        if not typed.startswith("/badge"):
            team.workspace.post(channel, user, to_slack_text(typed, team.workspace))
            return JSONResponse({"ok": True})
        if not team.installed:
            # Slack itself answers a command of an app the workspace has not added.
            text = NOT_INSTALLED.format(name=team.name)
            team.workspace.post(channel, SLACKBOT_USER_ID, text, ephemeral_to=user)
            return JSONResponse({"ok": True})
        text = to_slack_text(typed.removeprefix("/badge").strip(), team.workspace)
        body = urllib.parse.urlencode(
            {
                "token": "playground",
                "team_id": team.team_id,
                "team_domain": team.domain,
                "channel_id": channel,
                "channel_name": CHANNELS.get(channel, "directmessage"),
                "user_id": user,
                "user_name": team.workspace.name_of(user),
                "command": "/badge",
                "text": text,
                "api_app_id": team.app_id,
                "trigger_id": team.api.new_trigger(user),
                "response_url": team.api.new_response_url(ReplyTarget(user, channel)),
            }
        )
        started = time.perf_counter()
        response = await team.send(body, "application/x-www-form-urlencoded")
        answer: dict[str, Any] = {
            "ok": response.status_code == 200,
            "ack_ms": round((time.perf_counter() - started) * 1000),
        }
        if response.status_code == 503:  # the bot is still starting: say so, not "acked"
            answer["error"] = response.text
        return JSONResponse(answer)

    def _payload(self, team: SlackTeam, kind: str, user: str) -> dict[str, Any]:
        """What every interaction payload carries."""
        return {
            "type": kind,
            "team": team.team(),
            "user": team.user(user),
            "api_app_id": team.app_id,
            "token": "playground",
            "trigger_id": team.api.new_trigger(user),
        }

    async def action(self, request: Request) -> Response:
        """A button click, as a signed block_actions payload."""
        data = await request.json()
        team = self.team_of(data)
        if not team.installed:
            return JSONResponse({"ok": False})
        ws = team.workspace
        user, surface = data["user"], data.get("surface", "message")
        action = {
            "action_id": data["action_id"],
            "block_id": data.get("block_id", ""),
            "value": data.get("value", ""),
            "type": "button",
            "action_ts": str(time.time()),
        }
        payload = self._payload(team, "block_actions", user) | {"actions": [action]}
        if surface == "message":
            channel, ts = data["channel"], data["ts"]
            message = next((m for m in ws.visible(user, channel) if m.ts == ts), None)
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
                "response_url": team.api.new_response_url(ReplyTarget(user, channel, ts)),
            }
        else:
            view = (
                ws.homes.get(user)
                if surface == "home"
                else getattr(ws.modals.get(user), "view", {})
            ) or {}
            payload |= {
                "container": {"type": "view", "view_id": f"V{user}"},
                "view": {**view, "id": f"V{user}"},
            }
        response = await team.interactive(payload)
        return JSONResponse({"ok": response.status_code == 200})

    async def submit(self, request: Request) -> Response:
        """A modal's submit, as a signed view_submission; shows the bot's field errors."""
        data = await request.json()
        team = self.team_of(data)
        user = data["user"]
        modal = team.workspace.modals.get(user)
        if modal is None or not team.installed:
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
        payload = self._payload(team, "view_submission", user) | {
            "view": {**modal.view, "id": f"V{user}", "state": {"values": values}},
        }
        response = await team.interactive(payload)
        answer = response.json() if response.content.strip() else {}
        if answer.get("response_action") == "errors":
            team.workspace.close_modal(user, answer.get("errors") or {"": "error"})
        elif answer.get("response_action") == "update":
            team.workspace.open_modal(user, answer["view"])
        else:
            team.workspace.close_modal(user)
        return JSONResponse({"ok": response.status_code == 200, "answer": answer})

    async def close(self, request: Request) -> Response:
        """Close the person's modal."""
        data = await request.json()
        self.team_of(data).workspace.close_modal(data["user"])
        return JSONResponse({"ok": True})

    async def options(self, request: Request) -> Response:
        """An external select's options, asked of the bot."""
        data = await request.json()
        team = self.team_of(data)
        if not team.installed:
            return JSONResponse({"options": []})
        user = data["user"]
        modal = team.workspace.modals.get(user)
        payload = self._payload(team, "block_suggestion", user) | {
            "action_id": data["action_id"],
            "block_id": data["block_id"],
            "value": data.get("value", ""),
            "view": {**(modal.view if modal else {}), "id": f"V{user}"},
        }
        response = await team.interactive(payload)
        return JSONResponse(response.json() if response.content.strip() else {"options": []})

    async def home(self, request: Request) -> Response:
        """Opening the Home tab, as a signed app_home_opened event."""
        data = await request.json()
        team = self.team_of(data)
        if not team.installed:
            return JSONResponse({"ok": False})
        body = json.dumps(
            {
                "token": "playground",
                "team_id": team.team_id,
                "api_app_id": team.app_id,
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
        response = await team.send(body, "application/json")
        return JSONResponse({"ok": response.status_code == 200})

    async def shortcut(self, request: Request) -> Response:
        """A message shortcut, as a signed message_action payload."""
        data = await request.json()
        team = self.team_of(data)
        user, channel, ts = data["user"], data["channel"], data["ts"]
        message = next((m for m in team.workspace.visible(user, channel) if m.ts == ts), None)
        if message is None or not team.installed:
            return JSONResponse({"ok": False})
        payload = self._payload(team, "message_action", user) | {
            "callback_id": data["callback_id"],
            "channel": {"id": channel, "name": CHANNELS.get(channel, "directmessage")},
            "message": {"user": message.user, "ts": message.ts, "text": message.text},
            "response_url": team.api.new_response_url(ReplyTarget(user, channel)),
        }
        response = await team.interactive(payload)
        return JSONResponse({"ok": response.status_code == 200})
