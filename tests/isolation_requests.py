"""Signed Slack requests and fakes for the isolation tests of distribution mode
(tests.test_distribution_isolation_e2e): a fake Slack that can revoke tokens, and the
requests of two workspaces, Alpha and Bravo (a workspace of an Enterprise Grid org)."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.emulator import Emulator
from bot.background_server import BackgroundServer
from bot.connections import connect
from bot.secrets import SecretBox, new_key
from bot.store import Store
from tests.fake_slack import FakeSlack
from tests.harness import BotHarness, new_trigger_id, signed_headers

KEY = new_key()
ALPHA, BRAVO = "slack:TALPHA", "slack:TBRAVO"  # Alpha sorts first: its failures come first
ALPHA_QT, BRAVO_QT = "qt-alpha-5e1f0a9c", "qt-bravo-2b7d4c3e"
#: Bravo is a workspace of an Enterprise Grid org (installed in the workspace, not org-wide).
ENTERPRISES = {"TBRAVO": "EBRAVO"}
#: What only Alpha's awards say: none of it may reach Bravo.
SECRET_COMMENT = "for the alpha-only merger plan"
#: The routes that change an award in Quantive.
WRITES = (
    "POST /badges/approve/{id}",
    "DELETE /badges/approve/{id}",
    "POST /badges/assign",
    "DELETE /badges/assign/{assigneeId}/{badgeAssignId}",
)


class RevocableSlack(FakeSlack):
    """The fake Slack, answering ``token_revoked`` to every call made with a revoked token."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.revoked: set[str] = set()

    async def _api(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.revoked:
            self._record(request.path_params["method"] + ":revoked", {}, token)
            return JSONResponse({"ok": False, "error": "token_revoked"})
        return await super()._api(request)


def distribution_settings(key: str) -> dict[str, Any]:
    """A harness's settings for distribution mode: the Slack app's OAuth credentials and
    ``key`` for secrets at rest, and no bot token, Quantive or approvers of its own (each
    workspace brings its own)."""
    return {
        "slack_bot_token": None,
        "slack_client_id": "1111.2222",
        "slack_client_secret": "client-secret",
        "public_url": "https://badgebot.example.com",
        "badgebot_secret_key": key,
        "quantive_api_token": None,
        "quantive_account_id": None,
        "badge_approvers": [],
    }


def emulator_on_loopback(token: str, account: str) -> Iterator[Emulator]:
    emulator = Emulator(token=token, account_id=account)
    with BackgroundServer(emulator.app) as server:
        emulator.url = f"{server.url}/api/v1"  # type: ignore[attr-defined]
        yield emulator


def quantive_fixture(token: str, account: str) -> Any:
    """A module-scoped fixture: a Quantive of its own (an emulator accepting only
    ``token``, for ``account``), as each connected workspace has."""

    @pytest.fixture(scope="module")
    def quantive() -> Iterator[Emulator]:
        yield from emulator_on_loopback(token, account)

    return quantive


def install(bot: BotHarness, code: str) -> None:
    """Add to Slack as a browser does: the install page, consent, the redirect."""
    page = bot.http.get(f"{bot.server.url}/slack/install")
    link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.text)
    assert link is not None, page.text
    query = urllib.parse.urlsplit(link.group(1).replace("&amp;", "&")).query
    state = urllib.parse.parse_qs(query)["state"][0]
    cookie = page.headers["set-cookie"].split(";")[0]
    done = bot.http.get(
        f"{bot.server.url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"cookie": cookie},
    )
    assert done.status_code == 200, done.text


def post(bot: BotHarness, payload: dict[str, Any]) -> Any:
    """Send a signed interactive payload; the answer must never be a 500."""
    answer = bot.post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    assert answer.status_code == 200, answer.text
    return answer


def interaction(kind: str, user: str, team: str, **rest: Any) -> dict[str, Any]:
    """An interactive payload of ``kind`` from ``user`` of ``team`` (and of its org)."""
    enterprise = ENTERPRISES.get(team)
    return {
        "type": kind,
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "team_id": team},
        **(
            {"enterprise": {"id": enterprise}, "is_enterprise_install": False} if enterprise else {}
        ),
        "api_app_id": "ABADGEBOT",
        "token": "unused",
        "trigger_id": new_trigger_id(),
        **rest,
    }


def click(bot: BotHarness, action: str, value: str, user: str, team: str, key: str) -> None:
    """A button click in a message, answered through response URL ``key``."""
    post(
        bot,
        interaction(
            "block_actions",
            user,
            team,
            container={"type": "message", "message_ts": "1.1", "channel_id": "CBRAVO"},
            channel={"id": "CBRAVO"},
            message={"ts": "1.1", "text": "request"},
            response_url=bot.slack.response_url(key),
            actions=[{"action_id": action, "block_id": "b", "value": value, "type": "button"}],
        ),
    )


def command(bot: BotHarness, text: str, user: str, team: str, key: str) -> Any:
    body = urllib.parse.urlencode(
        {
            "team_id": team,
            **({"enterprise_id": ENTERPRISES[team]} if team in ENTERPRISES else {}),
            "channel_id": "CBRAVO",
            "user_id": user,
            "command": "/badge",
            "text": text,
            "response_url": bot.slack.response_url(key),
            "trigger_id": new_trigger_id(),
            "api_app_id": "ABADGEBOT",
        }
    )
    answer = bot.post(body)
    assert answer.status_code == 200, answer.text
    return answer


def home(bot: BotHarness, user: str, team: str) -> dict[str, Any]:
    """The Home tab ``user`` of ``team`` is shown."""
    mark = len(bot.slack.calls)
    body = json.dumps(
        {
            "team_id": team,
            **({"enterprise_id": ENTERPRISES[team]} if team in ENTERPRISES else {}),
            "api_app_id": "ABADGEBOT",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": user, "tab": "home"},
        }
    )
    headers = {**signed_headers(body), "Content-Type": "application/json"}
    assert bot.http.post(bot.url, content=body, headers=headers).status_code == 200
    bot.slack.wait_for(lambda f: any(c.method == "views.publish" for c in f.calls[mark:]))
    return next(c.args for c in bot.slack.calls[mark:] if c.method == "views.publish")


def setup_workspace(
    bot: BotHarness, key: str, emulator: Emulator, token: str, **stored: Any
) -> None:
    """Connect ``key`` as an operator does, with ``stored`` as its settings."""

    async def run(store: Store) -> None:
        url = emulator.url  # type: ignore[attr-defined]
        await connect(store, SecretBox(KEY), key, url, emulator.account_id, token, "cli:ops")
        for name, value in stored.items():
            await store.for_workspace(key).set_workspace_setting(name, value, "test")

    bot.query(run)


def wait_until(check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something true (bounded, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return found


def alpha_rows(bot: BotHarness, status: str) -> list[dict[str, Any]]:
    async def read(store: Store) -> list[dict[str, Any]]:
        return await store.for_workspace(ALPHA).award_rows(status)

    return bot.query(read)
