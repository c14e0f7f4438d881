"""The playground's side of "Add to Slack" (playground.slack_consent): its consent page
redirects only to the app's registered URL, a code is good once and only for the app's
credentials, and the token it buys acts in the workspace that installed."""

from __future__ import annotations

import base64
import re
import urllib.parse

import httpx
import pytest
from starlette.applications import Starlette

from playground.slack_consent import SlackOAuth
from playground.slack_team import STILL_STARTING, SlackTeam
from playground.slack_web import SlackWebApi
from playground.workspace import Workspace, demo_people

REDIRECT = "http://127.0.0.1:9/slack/oauth_redirect"
Parts = tuple[httpx.AsyncClient, SlackTeam]


@pytest.fixture
def parts() -> Parts:
    demo = SlackTeam("T1", "Playground", Workspace(demo_people([])), "s1")
    second = SlackTeam("TACMELABS", "Acme Labs", Workspace(demo_people([])), "s2", installed=False)
    oauth = SlackOAuth("1.2", "app-secret")
    oauth.redirect_uri = REDIRECT
    oauth.install_url = "http://127.0.0.1:9/slack/install"
    oauth.add_team(second)
    app = Starlette(routes=[*SlackWebApi(demo, oauth).routes(), *oauth.routes()])
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://playground"), second


async def allow(client: httpx.AsyncClient, **changes: str) -> str:
    """The consent page's Allow, as its form posts it; the redirect it answers."""
    form = {
        "client_id": "1.2",
        "redirect_uri": REDIRECT,
        "state": "st<1>",
        "scope": "commands,chat:write",
        "team": "TACMELABS",
        "installer": "UMARIA",
        "decision": "allow",
        **changes,
    }
    answer = await client.post("/oauth/v2/authorize", content=urllib.parse.urlencode(form))
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def access(
    client: httpx.AsyncClient, code: str, secret: str = "app-secret"
) -> dict[str, object]:
    basic = base64.b64encode(f"1.2:{secret}".encode()).decode()
    answer = await client.post(
        "/api/oauth.v2.access", data={"code": code}, headers={"Authorization": f"Basic {basic}"}
    )
    return answer.json()


async def test_the_page_names_the_workspace_and_who_installs(parts: Parts) -> None:
    client, _ = parts
    begun = await client.get("/ui/add-to-slack", params={"ws": "TACMELABS", "user": "ULIAM"})
    assert begun.headers["location"] == "http://127.0.0.1:9/slack/install?team=TACMELABS"
    query = {"client_id": "1.2", "redirect_uri": REDIRECT, "state": "s", "scope": "commands"}
    page = await client.get("/oauth/v2/authorize", params={**query, "team": "TACMELABS"})
    assert page.status_code == 200 and "Allow badgebot in Acme Labs?" in page.text
    assert re.search(r'value="ULIAM" selected', page.text)


@pytest.mark.parametrize(
    "changes", [{"client_id": "9.9"}, {"redirect_uri": "https://elsewhere.example/steal"}]
)
async def test_an_unknown_app_or_redirect_gets_an_error_page_not_a_redirect(
    parts: Parts, changes: dict[str, str]
) -> None:
    client, _ = parts
    query = {"client_id": "1.2", "redirect_uri": REDIRECT, "state": "s", **changes}
    assert (await client.get("/oauth/v2/authorize", params=query)).status_code == 400
    form = urllib.parse.urlencode({**query, "team": "TACMELABS", "decision": "allow"})
    answer = await client.post("/oauth/v2/authorize", content=form)
    assert answer.status_code == 400 and "location" not in answer.headers


async def test_cancel_sends_access_denied_with_the_state(parts: Parts) -> None:
    client, second = parts
    back = urllib.parse.urlsplit(await allow(client, decision="cancel"))
    assert back._replace(query="").geturl() == REDIRECT
    assert urllib.parse.parse_qs(back.query) == {"state": ["st<1>"], "error": ["access_denied"]}
    assert not second.installed


async def test_a_code_is_good_once_for_the_apps_credentials_and_its_token_acts_there(
    parts: Parts,
) -> None:
    client, second = parts
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(await allow(client)).query)["code"][0]
    assert await access(client, code, secret="wrong") == {"ok": False, "error": "invalid_client"}
    answer = await access(client, code)
    assert answer["ok"] and answer["team"] == {"id": "TACMELABS", "name": "Acme Labs"}
    assert answer["authed_user"] == {"id": "UMARIA"} and answer["scope"] == "commands,chat:write"
    assert second.installed
    assert await access(client, code) == {"ok": False, "error": "invalid_code"}

    async def auth_test(token: str) -> object:
        headers = {"Authorization": f"Bearer {token}"}
        return (await client.post("/api/auth.test", headers=headers)).json()["team_id"]

    assert await auth_test(str(answer["access_token"])) == "TACMELABS"
    assert await auth_test("xoxb-playground") == "T1"  # the demo bot's token: the demo workspace


async def test_a_request_sent_before_the_bot_listens_is_told_to_wait_not_a_500() -> None:
    """The page is served before the bot has started: what is typed meanwhile gets a 503
    that says so, where the empty bot URL used to make the page answer 500."""
    team = SlackTeam("T1", "Playground", Workspace(demo_people([])), "s1")
    try:
        answer = await team.send("command=%2Fbadge&text=help", "application/x-www-form-urlencoded")
        assert answer.status_code == 503 and answer.text == STILL_STARTING
    finally:
        await team.aclose()
