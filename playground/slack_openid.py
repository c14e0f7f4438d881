"""Sign in with Slack, played on loopback, so that the playground's "Dashboard" link signs
in as the person chosen in the page's picker: the authorize page the dashboard sends the
browser to (the bot derives it from SLACK_API_URL), and the ``openid.connect.token`` and
``openid.connect.userInfo`` answers the bot then asks the Web API for.

As in Slack, the authorize page redirects only to the redirect URL the app registered,
for the app's own client id; a code is good once, only for that app's credentials; an
access token reads only the person it was given for.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import jwt
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

#: Beside the Web API's /api/, as https://slack.com/openid/connect/authorize is.
AUTHORIZE_PATH = "/openid/connect/authorize"
#: Where the page's "Dashboard" link goes first: it notes who is signing in (a person
#: signed in to Slack, in the real thing), then the bot's own sign-in.
DASHBOARD_PATH = "/ui/dashboard"
#: The id token's signing key: the bot reads the token straight from Slack over TLS and
#: checks only its nonce, so nothing here needs a secret of its own.
ID_TOKEN_KEY = secrets.token_hex(32)


@dataclass(frozen=True)
class SignInApp:
    """A Slack app that signs people in: its credentials, the redirect URL it registered,
    its bot's sign-in page and the workspace whose people use it."""

    client_id: str
    client_secret: str
    redirect_uri: str
    login_url: str
    team: SlackTeam


@dataclass(frozen=True)
class Grant:
    """What a code or an access token stands for: one person of one workspace."""

    client_id: str
    team: SlackTeam
    user_id: str
    nonce: str = ""


class SlackOpenID:
    """The OpenID Connect side of the playground's Slack, for the apps added to it."""

    def __init__(self) -> None:
        self.apps: dict[str, SignInApp] = {}
        #: Who signs in next in each workspace: the person last chosen in the page.
        self._signing_in: dict[str, str] = {}
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def add_app(self, app: SignInApp) -> None:
        """An app whose bot serves the dashboard to ``app.team``."""
        self.apps[app.client_id] = app

    def app_for(self, team_id: str) -> SignInApp | None:
        """The app whose dashboard serves workspace ``team_id``, if any."""
        return next((a for a in self.apps.values() if a.team.team_id == team_id), None)

    def routes(self) -> list[Route]:
        """The page's way in, the authorize page and the person picker's answer."""
        return [
            Route(DASHBOARD_PATH, self.begin),
            Route(AUTHORIZE_PATH, self.authorize, methods=["GET"]),
            Route(AUTHORIZE_PATH, self.picked, methods=["POST"]),
        ]

    async def begin(self, request: Request) -> Response:
        """``/ui/dashboard?ws=T1&user=UMARIA``: remember who signs in to that workspace,
        then the bot's "Sign in with Slack", which comes back to :meth:`authorize`."""
        app = self.app_for(request.query_params.get("ws", ""))
        if app is None:
            return error_page("This workspace's badgebot has no dashboard here.", 404)
        user = request.query_params.get("user", "")
        if user in app.team.workspace.people:
            with self._lock:
                self._signing_in[app.team.team_id] = user
        return RedirectResponse(app.login_url, status_code=303)

    async def authorize(self, request: Request) -> Response:
        """``GET /openid/connect/authorize``: straight back to the app with a code for the
        person chosen in the page (as Slack does for someone already signed in), or a
        picker when nobody was chosen (the dashboard opened by its address)."""
        query = dict(request.query_params)
        app, problem = self._check(query.get("client_id", ""), query.get("redirect_uri", ""))
        if app is None:
            return error_page(problem, 400)
        with self._lock:
            user = self._signing_in.get(app.team.team_id)
        if user is None:
            return HTMLResponse(picker_page(app, query), headers={"cache-control": "no-store"})
        return self._back(app, user, query)

    async def picked(self, request: Request) -> Response:
        """``POST /openid/connect/authorize``: the picker's person, signed in."""
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        app, problem = self._check(form.get("client_id", ""), form.get("redirect_uri", ""))
        if app is None:
            return error_page(problem, 400)
        user = form.get("user", "")
        if user not in app.team.workspace.people:
            return error_page("Choose someone of this workspace.", 400)
        with self._lock:
            self._signing_in[app.team.team_id] = user
        return self._back(app, user, form)

    def _back(self, app: SignInApp, user: str, query: dict[str, str]) -> Response:
        code = f"oidc-{app.team.team_id}.{secrets.token_hex(8)}"
        with self._lock:
            self._codes[code] = Grant(app.client_id, app.team, user, query.get("nonce", ""))
        back = urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
        return RedirectResponse(f"{app.redirect_uri}?{back}", 302)

    def _check(self, client_id: str, redirect_uri: str) -> tuple[SignInApp | None, str]:
        # Slack's own refusals, in its words: the page never redirects anywhere else.
        app = self.apps.get(client_id)
        if app is None:
            return None, "Invalid client_id parameter."
        if redirect_uri != app.redirect_uri:
            return None, "redirect_uri did not match any configured URIs."
        return app, ""

    def token(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        """``openid.connect.token``: an access token and id token for a code, once, for
        the credentials of the app it was issued to (HTTP basic auth, as slack_sdk
        sends them)."""
        client_id, secret = basic_credentials(authorization)
        app = self.apps.get(client_id)
        if app is None or not secret_matches(secret, app.client_secret):
            return {"ok": False, "error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(str(args.get("code", "")), None)
        if grant is None or grant.client_id != client_id:
            return {"ok": False, "error": "invalid_code"}
        if args.get("redirect_uri") and args["redirect_uri"] != app.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        access = f"xoxp-{grant.team.team_id}-oidc-{secrets.token_hex(8)}"
        with self._lock:
            self._tokens[access] = grant
        now = int(time.time())
        claims = {
            "iss": "https://slack.com",
            "sub": grant.user_id,
            "aud": client_id,
            "exp": now + 300,
            "iat": now,
            "nonce": grant.nonce,
            **_slack_claims(grant),
        }
        return {
            "ok": True,
            "access_token": access,
            "token_type": "Bearer",
            "id_token": jwt.encode(claims, ID_TOKEN_KEY, "HS256"),
        }

    def user_info(self, authorization: str) -> dict[str, Any]:
        """``openid.connect.userInfo``: the person an access token was given for."""
        with self._lock:
            grant = self._tokens.get(authorization.removeprefix("Bearer "))
        if grant is None:
            return {"ok": False, "error": "invalid_auth"}
        person = grant.team.workspace.people[grant.user_id]
        return {
            "ok": True,
            "sub": grant.user_id,
            **_slack_claims(grant),
            "email": person.email,
            "email_verified": True,
            "name": person.real_name,
            "given_name": person.real_name.split(" ")[0],
        }


def _slack_claims(grant: Grant) -> dict[str, str]:
    """The claims by which Slack names the person and their workspace."""
    return {
        "https://slack.com/user_id": grant.user_id,
        "https://slack.com/team_id": grant.team.team_id,
        "https://slack.com/team_name": grant.team.name,
    }


def picker_page(app: SignInApp, query: dict[str, str]) -> str:
    """ "Sign in to badgebot as ...": whom the playground's Slack should sign in, with the
    app's parameters in hidden fields."""
    hidden = hidden_fields(query, ("client_id", "redirect_uri", "state", "nonce"))
    people = "".join(
        f'<option value="{html.escape(p.id)}">{"★ " if p.approver else ""}'
        f"{html.escape(p.real_name)}</option>"
        for p in app.team.workspace.people.values()
    )
    name = html.escape(app.team.name)
    style = (
        "button{font-size:15px;padding:8px 20px;border-radius:4px;margin-top:1rem;"
        "background:#007a5a;color:#fff;border:1px solid #007a5a;font-weight:700}"
    )
    main = (
        f"<h1>Sign in to {name}</h1>\n"
        f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
        f'<label>Continue as <select name="user" id="user">{people}</select></label><br>'
        '<button type="submit">Continue</button></form>\n'
        '<p class="note">The playground plays Slack\'s sign-in: ★ marks approvers, who may '
        "see the dashboard. Nothing leaves this computer.</p>"
    )
    return slack_page(f"Sign in to {name}", 30, style, main)
