"""Slack's side of "Add to Slack", played on loopback: the consent page the bot's install
page links to (SLACK_AUTHORIZE_URL), the code it sends the installer back with, and the
``oauth.v2.access`` answer that code buys (the bot calls it on SLACK_API_URL).

As in Slack, a code is good once, only for the app's own client id and secret, and only
for the redirect URL the app registered; an unknown client id or redirect URL gets an
error page, not a redirect.
"""

from __future__ import annotations

import html
import secrets
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from playground.slack_auth import (
    basic_credentials,
    error_page,
    hidden_fields,
    secret_matches,
    slack_page,
)
from playground.slack_team import SlackTeam
from playground.workspace import BOT_USER_ID

AUTHORIZE_PATH = "/oauth/v2/authorize"
#: Where the page's "Add to Slack" goes first: it notes who is installing (a person
#: signed in to Slack, in the real thing) and sends them on to the bot's install page.
BEGIN_PATH = "/ui/add-to-slack"


@dataclass(frozen=True)
class Grant:
    """What a code stands for until the bot exchanges it."""

    team_id: str
    installer: str
    scopes: str
    redirect_uri: str


class SlackOAuth:
    """The install side of the fake Slack, for one distributed app (its client id and
    secret) and the workspaces that may install it."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        #: The app's registered redirect URL: the bot's PUBLIC_URL + /slack/oauth_redirect.
        self.redirect_uri = ""
        #: The bot's ``/slack/install``.
        self.install_url = ""
        self.teams: dict[str, SlackTeam] = {}
        #: Bot tokens given out, and the workspace each acts in.
        self.tokens: dict[str, SlackTeam] = {}
        self._installer: dict[str, str] = {}
        self._codes: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def add_team(self, team: SlackTeam) -> None:
        """A workspace that may install the app."""
        self.teams[team.team_id] = team

    def routes(self) -> list[Route]:
        """The consent page (and its answer), and the page's way in to the install."""
        return [
            Route(BEGIN_PATH, self.begin),
            Route(AUTHORIZE_PATH, self.consent, methods=["GET"]),
            Route(AUTHORIZE_PATH, self.decide, methods=["POST"]),
        ]

    async def begin(self, request: Request) -> Response:
        """``/ui/add-to-slack?ws=TACMELABS&user=UMARIA``: remember who installs into which
        workspace, then the bot's own install page, as a link on a website would open it."""
        team = self.teams.get(request.query_params.get("ws", ""))
        if team is None:
            return error_page("This workspace cannot install badgebot here.", 404)
        user = request.query_params.get("user", "")
        if user in team.workspace.people:
            self._installer[team.team_id] = user
        query = urllib.parse.urlencode({"team": team.team_id})
        return RedirectResponse(f"{self.install_url}?{query}", status_code=303)

    async def consent(self, request: Request) -> Response:
        """``GET /oauth/v2/authorize``: "Allow badgebot in <workspace>?"."""
        query = request.query_params
        problem = self._check(query.get("client_id", ""), query.get("redirect_uri", ""))
        if problem:
            return error_page(problem, 400)
        team = self.teams.get(query.get("team", "")) or next(iter(self.teams.values()))
        scopes = [s for s in query.get("scope", "").split(",") if s]
        installer = self._installer.get(team.team_id) or next(iter(team.workspace.people))
        return HTMLResponse(
            consent_page(team, scopes, installer, dict(query)),
            headers={"cache-control": "no-store"},
        )

    async def decide(self, request: Request) -> Response:
        """``POST /oauth/v2/authorize``: Allow sends the installer back with a code,
        Cancel with ``error=access_denied``, both with the bot's state."""
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        redirect_uri = form.get("redirect_uri", "")
        problem = self._check(form.get("client_id", ""), redirect_uri)
        team = self.teams.get(form.get("team", ""))
        if problem or team is None:
            return error_page(problem or "Unknown workspace.", 400)
        back: dict[str, str] = {"state": form.get("state", "")}
        installer = form.get("installer", "")
        if form.get("decision") != "allow" or installer not in team.workspace.people:
            back["error"] = "access_denied"
        else:
            code = f"{team.team_id}.{secrets.token_hex(8)}"
            with self._lock:
                self._codes[code] = Grant(
                    team.team_id, installer, form.get("scope", ""), redirect_uri
                )
            back["code"] = code
        return RedirectResponse(f"{redirect_uri}?{urllib.parse.urlencode(back)}", 302)

    def _check(self, client_id: str, redirect_uri: str) -> str | None:
        # Slack's own refusals, in its words: the page never redirects anywhere else.
        if client_id != self.client_id:
            return "Invalid client_id parameter."
        if redirect_uri != self.redirect_uri:
            return "redirect_uri did not match any configured URIs."
        return None

    def access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        """``oauth.v2.access``: the code's installation, once, for the app's credentials
        (sent as HTTP basic auth, as slack_sdk sends them)."""
        client_id, secret = basic_credentials(authorization)
        if client_id != self.client_id or not secret_matches(secret, self._client_secret):
            return {"ok": False, "error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(str(args.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if args.get("redirect_uri") and args["redirect_uri"] != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        team = self.teams[grant.team_id]
        token = f"xoxb-{team.team_id}-playground-{secrets.token_hex(6)}"
        with self._lock:
            self.tokens[token] = team
        team.installed = True
        team.workspace.touch()
        return {
            "ok": True,
            "app_id": team.app_id,
            "authed_user": {"id": grant.installer},
            "scope": grant.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER_ID,
            "team": {"id": team.team_id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }


def consent_page(team: SlackTeam, scopes: list[str], installer: str, query: dict[str, str]) -> str:
    """The consent page: the workspace, what the app asks for, who installs, and the two
    buttons; the bot's parameters ride along in hidden fields."""
    hidden = hidden_fields(query, ("client_id", "redirect_uri", "state", "scope"))
    people = "".join(
        f'<option value="{html.escape(p.id)}"{" selected" if p.id == installer else ""}>'
        f"{html.escape(p.real_name)}</option>"
        for p in team.workspace.people.values()
    )
    asks = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in scopes)
    name = html.escape(team.name)
    style = (
        ".ws{float:right;color:#616061}.buttons{display:flex;gap:12px;margin-top:1.5rem}"
        "button{font-size:15px;padding:8px 20px;border-radius:4px;border:1px solid #bbb;"
        "background:#fff;font-weight:700;cursor:pointer}"
        "button.allow{background:#007a5a;color:#fff;border-color:#007a5a}"
    )
    main = (
        f'<span class="ws">{name}</span>\n'
        f"<h1>🏅 Allow badgebot in {name}?</h1>\n"
        f"<p>badgebot is asking to join the <strong>{name}</strong> Slack workspace. It will "
        "be able to:</p>\n"
        f"<ul>{asks}</ul>\n"
        f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
        f'<input type="hidden" name="team" value="{html.escape(team.team_id)}">'
        f'<label>Installing as <select name="installer" id="installer">{people}</select>'
        "</label>\n"
        '<div class="buttons"><button name="decision" value="cancel">Cancel</button>'
        '<button class="allow" name="decision" value="allow">Allow</button></div></form>\n'
        '<p class="note">The playground plays this page, as it plays the rest of Slack: '
        "nothing leaves this computer.</p>"
    )
    return slack_page(f"Allow badgebot in {name}?", 34, style, main)
