"""The dashboard's routes: sign-in through Slack or Microsoft, the session, the page and
the CSV download. Built by the web process (bot.web) when :func:`dashboard_enabled`;
the workspaces' services come from ``request.app.state.workspaces`` (its lifespan's)."""

from __future__ import annotations

import io
import logging
import secrets
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.dashboard import figures
from bot.export import write_export
from bot.permissions import Permissions
from bot.settings import Settings
from bot.web import read_limited
from bot.workspace_services import Workspaces
from bot.workspaces import DEFAULT_WORKSPACE, describe_workspace, slack_workspace, teams_workspace
from handlers.dashboard import microsoft_ready, slack_ready
from handlers.dashboard.choice import read_choice, resolve_period
from handlers.dashboard.layout import (
    forbidden_page,
    html_response,
    message_page,
    sign_in_page,
)
from handlers.dashboard.microsoft_login import MicrosoftSignIn
from handlers.dashboard.page import dashboard_page
from handlers.dashboard.sessions import (
    LOGIN_COOKIE,
    LOGIN_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Person,
    Session,
    SessionCookies,
    session_key,
)
from handlers.dashboard.slack_login import (
    SignInFailed,
    SlackIdentity,
    SlackSignIn,
    authorize_url_for,
)

log = logging.getLogger(__name__)

AUTH_PATH = "/dashboard/auth"
LOGIN_PATH = "/dashboard/login"


class Dashboard:
    """The dashboard's routes over one process's settings.

    ``slack_authorize_url`` and ``microsoft_http_client`` (a requests session for msal)
    point the sign-ins at a test's providers."""

    def __init__(
        self,
        settings: Settings,
        *,
        slack_authorize_url: str | None = None,
        microsoft_http_client: Any = None,
    ) -> None:
        public = (settings.public_url or "").rstrip("/")
        self.settings = settings
        self.origin = _origin(public)
        self.cookies = SessionCookies(session_key(settings), secure=public.startswith("https://"))
        self.slack = (
            SlackSignIn(
                settings,
                f"{public}{AUTH_PATH}/slack",
                slack_authorize_url or authorize_url_for(settings.slack_api_url),
            )
            if slack_ready(settings)
            else None
        )
        self.microsoft = (
            MicrosoftSignIn(settings, f"{public}{AUTH_PATH}/microsoft", microsoft_http_client)
            if microsoft_ready(settings)
            else None
        )
        self.routes = [
            Route("/dashboard", self.page, methods=["GET"]),
            Route(LOGIN_PATH, self.login, methods=["GET"]),
            Route("/dashboard/login/slack", self.login_slack, methods=["GET"]),
            Route(f"{AUTH_PATH}/slack", self.auth_slack, methods=["GET"]),
            Route("/dashboard/login/microsoft", self.login_microsoft, methods=["GET"]),
            Route(f"{AUTH_PATH}/microsoft", self.auth_microsoft, methods=["GET"]),
            Route("/dashboard/logout", self.logout, methods=["POST"]),
            Route("/dashboard/export.csv", self.export, methods=["GET"]),
        ]

    # --- the page and the download ------------------------------------------------

    async def page(self, request: Request) -> Response:
        """The dashboard, or the way to it: sign-in for anyone without a session."""
        visitor = await self._visitor(request)
        if isinstance(visitor, Response):
            return visitor
        session, settings, can_export = visitor
        store = _workspaces(request).store.for_workspace(session.person.workspace)
        choice, notes = read_choice(request.query_params)
        period, more = resolve_period(choice, datetime.now(UTC), settings.digest_timezone)
        shown = await figures.dashboard_figures(
            store, period, badge_id=choice.badge_id, team_id=choice.team_id
        )
        badges, teams = await figures.dashboard_filters(store)
        html = dashboard_page(
            shown,
            choice,
            badges=badges,
            teams=teams,
            notes=[*notes, *more],
            who=_who(session.person),
            csrf=session.csrf,
            can_export=can_export,
        )
        return html_response(html)

    async def export(self, request: Request) -> Response:
        """The period's awards as the export's safe CSV, for the workspace's admins."""
        visitor = await self._visitor(request)
        if isinstance(visitor, Response):
            return visitor
        session, settings, can_export = visitor
        if not can_export:
            reason = "Only the workspace's badge admins may download the awards."
            return html_response(forbidden_page(_who(session.person), reason, session.csrf), 403)
        choice, _ = read_choice(request.query_params)
        period, _ = resolve_period(choice, datetime.now(UTC), settings.digest_timezone)
        store = _workspaces(request).store.for_workspace(session.person.workspace)
        out = io.StringIO()
        await write_export(store, out, since=period.start.timestamp(), until=period.end.timestamp())
        name = f"badgebot-awards-{period.start.date()}-{period.end.date()}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    # --- Slack --------------------------------------------------------------------

    async def login_slack(self, request: Request) -> Response:
        """Off to Slack's authorize page, with a fresh state and nonce in a signed cookie."""
        if self.slack is None:
            return self._sign_in(request, "Sign in with Slack is not set up here.")
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        cookie = self.cookies.new_login("slack", state, {"n": nonce})
        return self._to_provider(self.slack.authorize_url(state, nonce), cookie)

    async def auth_slack(self, request: Request) -> Response:
        """Slack's redirect back: the state checked (once), then the person from Slack."""
        if self.slack is None:
            return self._sign_in(request, "Sign in with Slack is not set up here.")
        login = await self._take_login(request, "slack")
        code = request.query_params.get("code")
        if login is None or not code:
            return self._refused(request)
        try:
            identity = await self.slack.identity(code, str(login.get("n", "")))
            key = await self._slack_workspace(request, identity)
        except SignInFailed as exc:
            return self._failed(str(exc))
        who = identity.name or identity.email or identity.user_id
        if key is None:
            reason = (
                f"You signed in to Slack workspace {identity.team_id}, which this badgebot "
                "does not serve."
            )
            return self._forbidden(who, reason)
        person = Person("slack", key, identity.user_id, identity.name, identity.email)
        return await self._start_session(request, person)

    async def _slack_workspace(self, request: Request, identity: SlackIdentity) -> str | None:
        """The workspace key of a Slack person: their own workspace (or org), and in the
        single-workspace mode only if it is the bot's."""
        assert self.slack is not None
        if not self.settings.slack_distributed:
            try:
                team, enterprise = await self.slack.home_workspace()
            except Exception as exc:  # auth.test failed: nobody can be placed
                log.warning("auth.test failed for the dashboard: %s", type(exc).__name__)
                raise SignInFailed("Slack could not be reached. Try again in a minute.") from None
            ours = identity.team_id == team or (
                enterprise is not None and identity.enterprise_id == enterprise
            )
            return DEFAULT_WORKSPACE if ours else None
        team_key = slack_workspace(identity.team_id, None, False)
        org_key = slack_workspace(None, identity.enterprise_id, True)
        connected = await _workspaces(request).connected()
        if team_key not in connected and org_key in connected:
            return org_key  # installed org-wide: the org's data is the workspace's
        return team_key

    # --- Microsoft ----------------------------------------------------------------

    async def login_microsoft(self, request: Request) -> Response:
        """Off to Microsoft's authorize page; msal's flow waits in a signed cookie."""
        if self.microsoft is None:
            return self._sign_in(request, "Sign in with Microsoft is not set up here.")
        try:
            flow = await self.microsoft.start()
        except SignInFailed as exc:
            return self._failed(str(exc))
        kept = {k: v for k, v in flow.items() if k != "auth_uri"}  # the cookie stays small
        cookie = self.cookies.new_login("microsoft", flow["state"], {"f": kept})
        return self._to_provider(flow["auth_uri"], cookie)

    async def auth_microsoft(self, request: Request) -> Response:
        """Microsoft's redirect back: msal checks state and nonce; the tenant names the
        workspace."""
        if self.microsoft is None:
            return self._sign_in(request, "Sign in with Microsoft is not set up here.")
        login = await self._take_login(request, "microsoft")
        flow = login.get("f") if login else None
        if not isinstance(flow, dict) or not request.query_params.get("code"):
            return self._refused(request)
        query = {k: v for k, v in request.query_params.items()}
        try:
            identity = await self.microsoft.finish(flow, query)
        except SignInFailed as exc:
            return self._failed(str(exc))
        if self.settings.teams_multi_tenant:
            key = teams_workspace(identity.tenant_id)
        else:
            home = (self.settings.teams_tenant_id or "").lower()
            key = DEFAULT_WORKSPACE if identity.tenant_id.lower() == home else None
        who = identity.name or identity.email or identity.object_id
        if key is None:
            reason = f"Your organisation ({identity.tenant_id}) is not one this badgebot serves."
            return self._forbidden(who, reason)
        aliases = tuple(a for a in (identity.object_id, identity.email) if a)
        person = Person("teams", key, identity.object_id, identity.name, identity.email, aliases)
        return await self._start_session(request, person)

    # --- sessions -----------------------------------------------------------------

    async def logout(self, request: Request) -> Response:
        """End the session: only from our own page (its origin and the form's token)."""
        session = self._session(request)
        # Parsed here: Starlette's form parser needs python-multipart, which this
        # project does not install for one hidden field.
        body = await read_limited(request, 4096)
        form = urllib.parse.parse_qs((body or b"").decode("utf-8", "replace"))
        origin = request.headers.get("origin")
        if origin is not None and origin != self.origin:
            return html_response(
                message_page("Not signed out", "That request came from another site."), 403
            )
        if session is not None and not secrets.compare_digest(
            (form.get("csrf") or [""])[0], session.csrf
        ):
            return html_response(
                message_page("Not signed out", "Sign out from the dashboard."), 403
            )
        response = RedirectResponse("/dashboard", 303)
        response.delete_cookie(SESSION_COOKIE, path="/dashboard")
        return response

    async def _start_session(self, request: Request, person: Person) -> Response:
        """A session for an admin or approver of the workspace; the 403 page for anyone
        else, who gets no session."""
        session = Session(person, time.time() + SESSION_SECONDS)
        allowed = await self._access(request, session, signed_in=False)
        if isinstance(allowed, Response):
            return allowed
        _, value = self.cookies.new_session(person)
        response = RedirectResponse("/dashboard", 303)
        response.set_cookie(
            SESSION_COOKIE, value, **self.cookies.cookie_options(SESSION_SECONDS, "/dashboard")
        )
        response.delete_cookie(LOGIN_COOKIE, path=AUTH_PATH)
        log.info("dashboard session started in %s", describe_workspace(person.workspace))
        return response

    async def _access(
        self, request: Request, session: Session, *, signed_in: bool = True
    ) -> tuple[Settings, bool] | Response:
        """The workspace's settings and whether the person may export (an admin); a 403
        page unless they are one of its admins or approvers, read afresh each time."""
        person = session.person
        settings = await _workspaces(request).settings_for(person.workspace)
        rules = Permissions.of(settings)
        platform, aliases = person.platform, person.aliases
        admin = rules.can_administer(person.user_id, platform=platform, aliases=aliases)
        approver = rules.can_approve(person.user_id, platform=platform, aliases=aliases)
        if not (admin or approver):
            reason = "You are not a badge admin or approver of this workspace."
            csrf = session.csrf if signed_in else None  # a sign-out button only with a session
            return html_response(forbidden_page(_who(person), reason, csrf), 403)
        return settings, admin

    async def _visitor(self, request: Request) -> tuple[Session, Settings, bool] | Response:
        """The signed-in person's session, their workspace's settings and whether they may
        export; else the page to show instead (sign-in, or 403)."""
        session = self._session(request)
        if session is None:
            return self._sign_in(request)
        allowed = await self._access(request, session)
        if isinstance(allowed, Response):
            return allowed
        return session, *allowed

    def _session(self, request: Request) -> Session | None:
        return self.cookies.session(request.cookies.get(SESSION_COOKIE))

    async def _take_login(self, request: Request, provider: str) -> dict[str, Any] | None:
        """The sign-in cookie's document, when its state is this request's and was never
        used, by this process or any other sharing the database (the state's key is kept
        in ``seen_requests`` for an hour, well past the cookie's ten minutes)."""
        state = request.query_params.get("state")
        login = self.cookies.take_login(request.cookies.get(LOGIN_COOKIE), provider, state)  # type: ignore[arg-type]
        if login is None:
            return None
        try:
            first = await _workspaces(request).store.first_sighting(f"dashboard-state:{state}")
        except Exception as exc:  # no database to check against: start nothing
            log.warning("could not check a sign-in state: %s", type(exc).__name__)
            return None
        return login if first else None

    def _to_provider(self, url: str, cookie: str) -> Response:
        response = RedirectResponse(url, 302)
        response.set_cookie(
            LOGIN_COOKIE, cookie, **self.cookies.cookie_options(LOGIN_SECONDS, AUTH_PATH)
        )
        return response

    def _sign_in(self, request: Request, message: str = "") -> Response:
        """A visitor with no session goes to the sign-in choice; ``message`` shows it at
        once, with what went wrong."""
        if not message:
            return RedirectResponse(LOGIN_PATH, 303)
        return html_response(self._choice_page(message), 400)

    async def login(self, request: Request) -> Response:
        """The sign-in choice: Slack, Microsoft, or both."""
        return html_response(self._choice_page())

    def _choice_page(self, message: str = "") -> str:
        return sign_in_page(
            slack=self.slack is not None, microsoft=self.microsoft is not None, message=message
        )

    def _refused(self, request: Request) -> Response:
        """A wrong, missing, expired or reused state: nothing is started."""
        response = html_response(
            message_page(
                "Sign-in not started here",
                "That sign-in link has expired or was already used. Start again.",
            ),
            400,
        )
        response.delete_cookie(LOGIN_COOKIE, path=AUTH_PATH)
        return response

    def _failed(self, text: str) -> Response:
        response = html_response(message_page("Sign-in failed", text), 400)
        response.delete_cookie(LOGIN_COOKIE, path=AUTH_PATH)
        return response

    def _forbidden(self, who: str, reason: str) -> Response:
        response = html_response(forbidden_page(who, reason), 403)
        response.delete_cookie(LOGIN_COOKIE, path=AUTH_PATH)
        return response


def _workspaces(request: Request) -> Workspaces:
    return request.app.state.workspaces


def _who(person: Person) -> str:
    return person.name or person.email or person.user_id


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
