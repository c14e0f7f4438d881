"""The playground's web app: the page, its JSON endpoints, and the Slack it plays.

The page's endpoints (playground.slack_ui) turn clicks and typing into real signed
requests to the bot serving each workspace; the Slack Web API (playground.slack_web) and
the install side of "Add to Slack" (playground.slack_consent) answer the bots, and the
sign-in side (playground.slack_openid) their dashboards.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.slack.connect import CONNECT_MODAL
from playground.render import blocks_to_html, mrkdwn_to_html
from playground.slack_consent import BEGIN_PATH, SlackOAuth
from playground.slack_openid import DASHBOARD_PATH, SlackOpenID
from playground.slack_team import SlackTeam, to_slack_text
from playground.slack_ui import SlackRequests
from playground.slack_web import SlackWebApi
from playground.static import static_routes
from playground.teams_view import TeamsView
from playground.workspace import BOT_USER_ID, SLACKBOT_USER_ID

__all__ = ["Playground", "to_slack_text"]

RunDigest = Callable[[], Awaitable[str]]
RecentCalls = Callable[[], list[dict[str, Any]]]


class Playground:
    """The page's Slack workspaces (the demo one first), and the routes of it all.

    ``oauth`` adds the workspaces that install badgebot through "Add to Slack", and
    ``connect_hint`` is what their Connect Quantive form should be given (the emulator's
    URL, account id and token), shown beside that form. ``openid`` signs the page's
    people in to the dashboards of the bots registered with it.
    """

    def __init__(
        self,
        demo: SlackTeam,
        run_digest: RunDigest,
        recent_calls: RecentCalls,
        teams: TeamsView | None = None,
        oauth: SlackOAuth | None = None,
        connect_hint: dict[str, str] | None = None,
        openid: SlackOpenID | None = None,
    ) -> None:
        self.demo = demo
        self.slack_teams = {demo.team_id: demo, **(oauth.teams if oauth else {})}
        self.teams = teams
        self.oauth = oauth
        self.connect_hint = connect_hint
        self.openid = openid
        self.web_api = SlackWebApi(demo, oauth, openid)
        self.requests = SlackRequests(self.slack_teams)
        self._run_digest = run_digest
        self._recent_calls = recent_calls
        self.app = Starlette(
            routes=[
                *static_routes(),
                *self.web_api.routes(),
                *(oauth.routes() if oauth else []),
                *(openid.routes() if openid else []),
                Route("/ui/state", self.state),
                *self.requests.routes(),
                Route("/ui/digest", self.digest, methods=["POST"]),
                *(teams.routes() if teams else []),
            ]
        )

    def set_base_url(self, url: str) -> None:
        """Where the playground is served: every workspace's response_urls point there."""
        for team in self.slack_teams.values():
            team.api.base_url = url

    async def state(self, request: Request) -> Response:
        """What one person sees in one workspace: sidebar, messages, modal, Home,
        inspector; and, where badgebot is not installed yet, the way to add it."""
        team = self.requests.team_of(dict(request.query_params))
        ws = team.workspace
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
        modal_state = None
        if modal is not None:
            connecting = modal.view.get("callback_id") == CONNECT_MODAL
            modal_state = {
                "title": modal.view.get("title", {}).get("text", ""),
                # A view without a submit button (a result) shows none.
                "submit": (modal.view.get("submit") or {}).get("text"),
                "html": blocks_to_html(modal.view.get("blocks"), ws.name_of, roster, modal.errors),
                "hint": self.connect_hint if connecting and modal.view.get("submit") else None,
            }
        messages = [self._message_html(team, m) for m in ws.visible(user, channel)]
        home = ws.homes.get(user)
        return JSONResponse(
            {
                "version": ws.version,
                "workspaces": [
                    {"id": t.team_id, "name": t.name, "installed": t.installed}
                    for t in self.slack_teams.values()
                ],
                "installed": team.installed,
                "add_to_slack": None if team.installed else f"{BEGIN_PATH}?ws={team.team_id}",
                "dashboard": self._dashboard_link(team),
                "people": people,
                "conversations": conversations,
                "channel_name": "Home" if channel == "HOME" else ws.channel_name(channel),
                "messages_html": "\n".join(messages),
                "home_html": blocks_to_html(home.get("blocks"), ws.name_of, roster) if home else "",
                "modal": modal_state,
                "calls": self._recent_calls()[-25:],
            }
        )

    def _dashboard_link(self, team: SlackTeam) -> str | None:
        """Where the page's "Dashboard" goes for ``team`` (the page adds the person), or
        None where no bot of it serves a dashboard yet."""
        if self.openid is None or not team.installed or self.openid.app_for(team.team_id) is None:
            return None
        return f"{DASHBOARD_PATH}?ws={team.team_id}"

    def _message_html(self, team: SlackTeam, message: Any) -> str:
        ws = team.workspace
        body = (
            blocks_to_html(message.blocks, ws.name_of)
            if message.blocks
            else mrkdwn_to_html(message.text, ws.name_of)
        )
        note = '<div class="ephemeral">Only visible to you</div>' if message.ephemeral_to else ""
        if message.user not in (BOT_USER_ID, SLACKBOT_USER_ID) and team.installed:
            # People's messages carry the app's message shortcut, as Slack's "⋯" menu does.
            note += (
                '<button class="btn shortcut" data-shortcut="give_badge_for_message">'
                "🏅 Give a badge for this</button>"
            )
        author = html.escape(ws.name_of(message.user))
        app = " · APP" if message.user == BOT_USER_ID else ""
        return (
            f'<div class="msg" data-ts="{message.ts}" data-channel="{message.channel}">'
            f'<div class="author">{author}{app}</div><div class="body">{body}</div>{note}</div>'
        )

    async def digest(self, request: Request) -> Response:
        """Run the demo workspace's digest job now."""
        return JSONResponse({"ok": True, "result": await self._run_digest()})
