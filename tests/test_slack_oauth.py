"""handlers.slack.oauth over real HTTP on loopback: "Add to Slack" from the install page to
Slack's redirect, against the fake Slack's oauth.v2.access; token lookups with rotation;
forgetting one workspace."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import urllib.parse
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import text
from starlette.applications import Starlette

from bot.background_server import BackgroundServer
from bot.secrets import new_key
from bot.settings import Settings
from handlers.slack.oauth import SlackInstalls, manifest_bot_scopes

CLIENT = ("111.222", "client-secret")
TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")
COOKIE = "slack-app-oauth-state"


class InstallServer:
    """A tiny web app serving only SlackInstalls' routes, built in its own loop."""

    def __init__(self, settings: Settings) -> None:
        self.installed: list[Installation] = []
        self.installs: SlackInstalls | None = None

        async def greet(installation: Installation) -> None:
            self.installed.append(installation)

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            self.installs = SlackInstalls(settings, on_installed=greet)
            app.router.routes.extend(self.installs.routes)
            yield
            await self.installs.aclose()

        self.server = BackgroundServer(Starlette(lifespan=lifespan)).start()
        self.url = self.server.url

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine in the server's loop (where the installs' client lives)."""
        assert self.server.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.server.loop).result(timeout=20)

    def token(self, team: str | None, enterprise: str | None = None, org: bool = False) -> Any:
        assert self.installs is not None
        return self.run(self.installs.bot_token(team, enterprise, org))

    def rows(self, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
        assert self.installs is not None

        async def read() -> list[tuple[Any, ...]]:
            assert self.installs is not None
            async with self.installs.engine.connect() as conn:
                return [
                    tuple(r) for r in await conn.execute(text(f"SELECT {columns} FROM {table}"))
                ]

        return self.run(read())

    def stop(self) -> None:
        self.server.stop()


def settings_for(database_url: str, slack_url: str, key: str) -> Settings:
    return Settings(
        slack_client_id=CLIENT[0],
        slack_client_secret=SecretStr(CLIENT[1]),
        public_url="https://badgebot.example.com/",
        badgebot_secret_key=SecretStr(key),
        database_url=SecretStr(database_url),
        slack_api_url=f"{slack_url}/api/",
        slack_timeout=5.0,
    )


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def server(database_url: str, backend: str, slack, key: str) -> Iterator[InstallServer]:
    slack.oauth_client = CLIENT
    if backend == "postgresql":  # conftest empties only bot.store's tables
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
    running = InstallServer(settings_for(database_url, slack.url, key))
    yield running
    running.stop()


def start_install(server: InstallServer, query: str = "") -> tuple[str, dict[str, list[str]]]:
    """Open the install page; the state and the authorize URL's parameters."""
    page = httpx.get(f"{server.url}/slack/install{query}", timeout=10)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    link = re.search(r'id="add-to-slack" href="([^"]+)"', page.text)
    assert link is not None, page.text
    url = urllib.parse.urlsplit(html.unescape(link.group(1)))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://slack.com/oauth/v2/authorize"
    params = urllib.parse.parse_qs(url.query)
    state = params["state"][0]
    assert f"{COOKIE}={state}" in page.headers["set-cookie"]
    return state, params


def redirect(server: InstallServer, query: dict[str, str], cookie: str | None) -> httpx.Response:
    """Slack sending the browser back. The state cookie is Secure, so a client on plain
    http keeps it to itself: it is sent by hand, as a browser on https would."""
    headers = {"cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
    return httpx.get(
        f"{server.url}/slack/oauth_redirect", params=query, headers=headers, timeout=10
    )


def install(server: InstallServer, code: str) -> httpx.Response:
    state, _ = start_install(server)
    return redirect(server, {"code": code, "state": state}, state)


@pytest.mark.both_backends
def test_two_workspaces_install_and_each_finds_its_own_token(server, slack) -> None:
    one = slack.add_install("code-1", "TACME", "Acme & Co")
    two = slack.add_install("code-2", "TINITECH", "Initech")
    state, params = start_install(server)
    assert params["client_id"] == [CLIENT[0]]
    assert params["scope"] == [",".join(manifest_bot_scopes())]
    assert "chat:write" in params["scope"][0].split(",")
    assert params["redirect_uri"] == ["https://badgebot.example.com/slack/oauth_redirect"]

    done = redirect(server, {"code": "code-1", "state": state}, state)
    assert done.status_code == 200, done.text
    assert "Acme &amp; Co" in done.text and "Home tab" in done.text
    assert "app_redirect?app=ABADGEBOT&amp;team=TACME" in done.text
    assert install(server, "code-2").status_code == 200

    assert server.token("TACME") == one["access_token"]
    assert server.token("TINITECH") == two["access_token"]
    assert server.token("TNOPE") is None
    assert [i.team_id for i in server.installed] == ["TACME", "TINITECH"]
    assert server.installed[0].bot_token == one["access_token"]  # the hook sees it in clear
    exchanges = slack.calls_of("oauth.v2.access")
    assert [c["code"] for c in exchanges] == ["code-1", "code-2"]
    assert {c["client_id"] for c in exchanges} == {CLIENT[0]}
    assert {c["redirect_uri"] for c in exchanges} == {params["redirect_uri"][0]}
    assert len(slack.calls_of("auth.test")) == 2


def test_an_install_whose_ids_slack_never_sends_is_taken_back(server, slack) -> None:
    slack.add_install("code-odd", "T2", "Too short")  # a key needs 3 or more characters
    refused = install(server, "code-odd")
    assert refused.status_code == 400 and "could not record the install" in refused.text
    assert server.rows("slack_installations", "team_id") == []
    assert server.rows("slack_bots", "team_id") == []
    assert server.installed == []  # the hook never saw it


def test_an_org_wide_install_serves_every_team_of_the_org(server, slack) -> None:
    org = slack.add_install(
        "code-org", None, None, enterprise_id="EGLOBEX", enterprise_name="Globex", org_wide=True
    )
    done = install(server, "code-org")
    assert done.status_code == 200 and "Globex" in done.text
    assert server.token("TACME", "EGLOBEX", True) == org["access_token"]
    assert server.token("TINITECH", "EGLOBEX", True) == org["access_token"]
    assert server.token(None, "EGLOBEX", True) == org["access_token"]
    assert server.token("TACME") is None and server.token("TACME", "EOTHER", True) is None


def test_a_grid_workspace_is_found_by_its_team_id_alone(server, slack) -> None:
    grid = slack.add_install("code-g", "TGRID", "Grid team", enterprise_id="EGLOBEX")
    assert install(server, "code-g").status_code == 200
    assert server.token("TGRID", "EGLOBEX") == grid["access_token"]
    assert server.token("TGRID") == grid["access_token"]  # a workspace key has no org id
    assert server.token("TGRID", "EGLOBEX", True) is None  # not an org-wide install


def test_a_reused_or_wrong_state_saves_nothing(server, slack) -> None:
    slack.add_install("code-1", "TACME", "Acme")
    slack.add_install("code-2", "TINITECH", "Initech")
    state, _ = start_install(server)
    assert redirect(server, {"code": "code-1", "state": state}, state).status_code == 200

    reused = redirect(server, {"code": "code-2", "state": state}, state)
    assert reused.status_code == 401 and "expired or was already used" in reused.text
    made_up = redirect(server, {"code": "code-2", "state": "made-up"}, "made-up")
    assert made_up.status_code == 401 and "Start the install again" in made_up.text
    fresh, _ = start_install(server)
    no_cookie = redirect(server, {"code": "code-2", "state": fresh}, None)
    assert no_cookie.status_code == 400 and "different browser" in no_cookie.text
    other_cookie = redirect(server, {"code": "code-2", "state": fresh}, "another-state")
    assert other_cookie.status_code == 400
    denied = redirect(server, {"error": "access_denied", "state": fresh}, fresh)
    assert denied.status_code == 200 and "cancelled" in denied.text
    assert f"{COOKIE}=deleted" in denied.headers["set-cookie"]  # the cookie is dropped

    # Only the first install reached Slack and the database.
    assert [c["code"] for c in slack.calls_of("oauth.v2.access")] == ["code-1"]
    assert server.rows("slack_installations", "team_id") == [("TACME",)]
    assert server.token("TINITECH") is None


def test_an_unknown_code_shows_the_failure_page(server, slack) -> None:
    state, _ = start_install(server)
    page = redirect(server, {"code": "never-issued", "state": state}, state)
    assert page.status_code == 401 and "did not confirm the install" in page.text
    assert server.rows("slack_installations") == [] and server.installed == []


@pytest.mark.parametrize(
    "query",
    [
        "?state=%ff%fe&code=%00",
        "?code&state",
        "?state=a&state=b&code=1&code=2",
        "?%",
        "?state=" + "x" * 5000,
        "?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "?error=",
        "?code=c&state=%EOTHER%80%AE",
    ],
)
def test_malformed_query_strings_get_a_page_never_a_500(server, query) -> None:
    for path in ("/slack/oauth_redirect", "/slack/install"):
        answer = httpx.get(f"{server.url}{path}{query}", headers={"cookie": f"{COOKIE}=a"})
        assert answer.status_code < 500, (path, answer.status_code)
        assert "<script>" not in answer.text
    assert server.rows("slack_installations") == []


def test_a_team_hint_is_passed_on_only_when_it_is_a_team_id(server) -> None:
    _, params = start_install(server, "?team=T12345")
    assert params["team"] == ["T12345"]
    _, params = start_install(server, "?team=x%26redirect_uri%3Dhttps%3A%2F%2Fevil.example")
    assert "team" not in params
    assert params["redirect_uri"] == ["https://badgebot.example.com/slack/oauth_redirect"]


def test_the_raw_database_holds_no_token_in_clear(server, slack, database_url) -> None:
    one = slack.add_install("code-1", "TACME", "Acme")
    two = slack.add_install("code-2", "TINITECH", "Initech", rotating=True)
    assert install(server, "code-1").status_code == 200
    assert install(server, "code-2").status_code == 200
    secrets = [one["access_token"], two["access_token"], two["refresh_token"]]
    raw = repr(server.rows("slack_installations") + server.rows("slack_bots"))
    assert "Initech" in raw
    assert not [s for s in secrets if s in raw]
    server.stop()  # the engine is disposed: SQLite has checkpointed its WAL into the file
    path = database_url.removeprefix("sqlite:///")
    data = read_bytes(path) + read_bytes(path + "-wal")
    assert b"Initech" in data
    assert not [s for s in secrets if s.encode() in data]


def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return b""


@pytest.mark.both_backends
def test_a_token_about_to_expire_is_rotated_and_saved(server, slack, database_url, key) -> None:
    first = slack.add_install("code-1", "TACME", "Acme", rotating=True, expires_in=600)
    steady = slack.add_install("code-2", "TINITECH", "Initech", rotating=True)
    assert install(server, "code-1").status_code == 200
    assert install(server, "code-2").status_code == 200

    rotated = server.token("TACME")  # 10 minutes left, inside the 120-minute window
    assert rotated and rotated != first["access_token"] and rotated.startswith("xoxe.xoxb-")
    [refresh] = slack.calls_of("oauth.v2.access")[2:]
    assert refresh["grant_type"] == "refresh_token" and refresh["client_id"] == CLIENT[0]
    assert server.token("TINITECH") == steady["access_token"]  # 12 hours left: not rotated
    assert server.token("TACME") == rotated  # saved with 12 hours: not rotated again
    assert len(slack.calls_of("oauth.v2.access")) == 3
    assert rotated not in repr(server.rows("slack_bots") + server.rows("slack_installations"))

    server.stop()  # a new process finds the rotated token, and its new refresh token
    again = InstallServer(settings_for(database_url, slack.url, key))
    try:
        assert again.token("TACME") == rotated
        found = again.run(again.installs.installation("TACME", None, False))  # type: ignore[union-attr]
        assert found.bot_refresh_token in slack.refreshes
    finally:
        again.stop()


def test_a_failed_rotation_keeps_a_token_still_valid_and_drops_an_expired_one(
    server, slack
) -> None:
    one = slack.add_install("code-1", "TACME", "Acme", rotating=True, expires_in=3600)
    slack.add_install("code-2", "TINITECH", "Initech", rotating=True, expires_in=30)
    assert install(server, "code-1").status_code == 200
    assert install(server, "code-2").status_code == 200
    slack.refreshes.clear()  # Slack no longer knows the refresh tokens (app revoked)
    assert server.token("TACME") == one["access_token"]  # an hour left: still good
    assert server.token("TINITECH") is None  # 30 seconds left: no use to a job
    refreshes = [
        c
        for c in slack.calls_of("oauth.v2.access:failed") + slack.calls_of("oauth.v2.access")
        if c.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 2


def test_forget_removes_exactly_one_workspace(server, slack) -> None:
    slack.add_install("code-1", "TACME", "Acme")
    slack.add_install("code-2", "TINITECH", "Initech")
    slack.add_install("code-o", None, None, enterprise_id="EGLOBEX", org_wide=True)
    slack.add_install("code-g", "TGRID", "Grid team", enterprise_id="EGLOBEX")
    for code in ("code-1", "code-2", "code-o", "code-g"):
        assert install(server, code).status_code == 200
    installs = server.installs
    assert installs is not None

    assert server.run(installs.forget(None, None, False)) is False  # names no workspace
    assert server.run(installs.forget("TACME'; --", None, False)) is False
    assert len(server.rows("slack_bots")) == 4
    assert server.run(installs.forget("TACME", None, False)) is True
    assert server.token("TACME") is None
    assert (
        server.token("TINITECH")
        and server.token("TORG9", "EGLOBEX", True)
        and server.token("TGRID")
    )
    assert server.run(installs.forget("TORG9", "EGLOBEX", True)) is True  # the org-wide install
    assert server.token("TORG9", "EGLOBEX", True) is None
    assert server.token("TGRID", "EGLOBEX") and server.token("TINITECH")  # its own install stays
    assert server.run(installs.forget("TGRID", None, False)) is True  # org id read back
    assert server.token("TGRID") is None and server.token("TINITECH")
    assert server.rows("slack_bots", "team_id") == [("TINITECH",)]
    assert server.rows("slack_installations", "team_id") == [("TINITECH",)]


def test_bolt_authorizes_and_rotates_through_the_same_store_and_fake(server, slack) -> None:
    first = slack.add_install("code-1", "TACME", "Acme", rotating=True, expires_in=600)
    assert install(server, "code-1").status_code == 200
    installs = server.installs
    assert installs is not None

    async def authorize() -> Any:
        assert installs is not None
        app = AsyncApp(
            client=installs.client, oauth_flow=installs.flow, request_verification_enabled=False
        )
        app.enable_token_revocation_listeners()
        context = AsyncBoltContext()
        context["client"] = installs.client
        context["is_enterprise_install"] = False
        return await app._async_authorize(  # type: ignore[misc]
            context=context, enterprise_id=None, team_id="TACME", user_id="USOMEONE"
        )

    result = server.run(authorize())
    assert result is not None and result.bot_token not in (None, first["access_token"])
    assert result.team_id == "TACME"
    assert [c.get("grant_type") for c in slack.calls_of("oauth.v2.access")] == [
        None,
        "refresh_token",
    ]
    assert server.token("TACME") == result.bot_token  # Bolt saved it, encrypted, in the store


def test_the_installed_hook_failing_still_shows_the_success_page(server, slack) -> None:
    slack.add_install("code-1", "TACME", "Acme")
    installs = server.installs
    assert installs is not None
    called = threading.Event()

    async def broken(installation: Installation) -> None:
        called.set()
        raise RuntimeError("greeting failed")

    installs._on_installed = broken
    done = install(server, "code-1")
    assert called.is_set() and done.status_code == 200 and "is now installed" in done.text
    assert server.token("TACME")
