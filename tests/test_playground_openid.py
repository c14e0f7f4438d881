"""The playground's Sign in with Slack (playground.slack_openid) and its demo awards
(playground.demo_awards): the authorize page redirects only to the app's registered URL
and signs in the person chosen in the page, a code is good once and only for its app's
credentials, userInfo names the person of its token; the demo's awards are made once, the
same each time, and Quantive's queue holds exactly the ones the store calls pending."""

from __future__ import annotations

import base64
import json
import shutil
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from starlette.applications import Starlette

from api.emulator import Emulator
from bot.store import Store
from playground.demo_awards import seed_playground_awards
from playground.slack_openid import SignInApp, SlackOpenID
from playground.slack_team import SlackTeam
from playground.slack_web import SlackWebApi
from playground.workspace import Workspace, demo_people

BOT = "http://127.0.0.1:9"
REDIRECT = f"{BOT}/dashboard/auth/slack"
AUTHORIZE = {"client_id": "1.1", "redirect_uri": REDIRECT, "state": "st<1>", "nonce": "n-1"}


@pytest.fixture
def client() -> httpx.AsyncClient:
    demo = SlackTeam("T1", "Playground", Workspace(demo_people(["UMARIA"])), "s1")
    openid = SlackOpenID()
    openid.add_app(SignInApp("1.1", "demo-secret", REDIRECT, f"{BOT}/dashboard/login/slack", demo))
    app = Starlette(routes=[*SlackWebApi(demo, None, openid).routes(), *openid.routes()])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://playground")


async def code_for(client: httpx.AsyncClient, user: str, **changes: str) -> str:
    """The page's Dashboard link as ``user``, then the authorize page: the code it gives."""
    begun = await client.get("/ui/dashboard", params={"ws": "T1", "user": user})
    assert begun.headers["location"] == f"{BOT}/dashboard/login/slack"
    answer = await client.get("/openid/connect/authorize", params={**AUTHORIZE, **changes})
    assert answer.status_code == 302, answer.text
    back = urllib.parse.urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    query = dict(urllib.parse.parse_qsl(back.query))
    assert query["state"] == "st<1>"
    return query["code"]


async def call(
    client: httpx.AsyncClient, method: str, authorization: str, **args: str
) -> dict[str, object]:
    answer = await client.post(
        f"/api/{method}", data=args, headers={"Authorization": authorization}
    )
    return answer.json()


def basic(secret: str = "demo-secret", client_id: str = "1.1") -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def test_the_chosen_person_is_signed_in_with_their_ids_email_and_name(
    client: httpx.AsyncClient,
) -> None:
    code = await code_for(client, "UMARIA")
    token = await call(client, "openid.connect.token", basic(), code=code, redirect_uri=REDIRECT)
    assert token["ok"] is True
    claims = jwt.decode(str(token["id_token"]), options={"verify_signature": False})
    assert claims["nonce"] == "n-1" and claims["https://slack.com/user_id"] == "UMARIA"
    info = await call(client, "openid.connect.userInfo", f"Bearer {token['access_token']}")
    assert info["ok"] is True
    assert info["https://slack.com/user_id"] == "UMARIA"
    assert info["https://slack.com/team_id"] == "T1"
    assert info["email"] == "maria.garcia@acme.example" and info["name"] == "Maria Garcia"
    again = await call(client, "openid.connect.token", basic(), code=code)
    assert again == {"ok": False, "error": "invalid_code"}  # a code is good once


async def test_another_person_chosen_signs_in_as_them(client: httpx.AsyncClient) -> None:
    await code_for(client, "UMARIA")
    code = await code_for(client, "UAMARA")
    token = await call(client, "openid.connect.token", basic(), code=code)
    info = await call(client, "openid.connect.userInfo", f"Bearer {token['access_token']}")
    assert info["https://slack.com/user_id"] == "UAMARA"


@pytest.mark.parametrize(
    "changes", [{"client_id": "9.9"}, {"redirect_uri": "https://elsewhere.example/steal"}]
)
async def test_an_unknown_app_or_redirect_gets_an_error_page_not_a_redirect(
    client: httpx.AsyncClient, changes: dict[str, str]
) -> None:
    await client.get("/ui/dashboard", params={"ws": "T1", "user": "UMARIA"})
    answer = await client.get("/openid/connect/authorize", params={**AUTHORIZE, **changes})
    assert answer.status_code == 400 and "location" not in answer.headers


async def test_a_code_is_only_for_its_apps_credentials(client: httpx.AsyncClient) -> None:
    code = await code_for(client, "UMARIA")
    wrong = await call(client, "openid.connect.token", basic("guessed"), code=code)
    assert wrong == {"ok": False, "error": "invalid_client"}
    unknown = await call(client, "openid.connect.userInfo", "Bearer xoxp-made-up")
    assert unknown == {"ok": False, "error": "invalid_auth"}


async def test_with_nobody_chosen_a_picker_asks_who_signs_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/openid/connect/authorize", params=AUTHORIZE)
    assert page.status_code == 200 and "Sign in to Playground" in page.text
    assert "&lt;1&gt;" in page.text  # the state rides along escaped
    form = {**AUTHORIZE, "user": "ULIAM"}
    picked = await client.post("/openid/connect/authorize", content=urllib.parse.urlencode(form))
    assert picked.status_code == 302 and picked.headers["location"].startswith(REDIRECT)
    stranger = {**AUTHORIZE, "user": "UNOBODY"}
    refused = await client.post(
        "/openid/connect/authorize", content=urllib.parse.urlencode(stranger)
    )
    assert refused.status_code == 400 and "location" not in refused.headers


async def rows_seeded(database_url: str, emulator: Emulator, now: float) -> list[dict[str, Any]]:
    """The demo's awards as a fresh store records them (seeded twice: the second adds none)."""
    store = Store(database_url)
    try:
        assert await seed_playground_awards(store, emulator, now=now) > 20
        assert await seed_playground_awards(store, emulator, now=now) == 0  # not empty now
        return [r async for r in store.for_workspace("default").given_between()]
    finally:
        await store.aclose()


async def test_the_demo_awards_are_made_once_the_same_each_time_and_known_to_quantive(
    database_url: str, migrated_sqlite: Path, tmp_path: Path
) -> None:
    now = 1_790_000_000.0
    emulator = Emulator()
    rows = await rows_seeded(database_url, emulator, now)
    pending = {r["assignment_id"] for r in rows if r["status"] == "pending"}
    queue = {a["id"] for a in emulator.state.pending()}
    assert pending and {i for i in queue if i.startswith("demo-")} == pending
    approved = next(r for r in rows if r["status"] == "approved")
    recipient = json.loads(approved["recipients"])[0]["quantive_id"]
    holders = emulator.state.holders(approved["badge_id"])
    assert recipient in {h["id"] for h in holders["Users"] + holders["Teams"]}

    shutil.copyfile(migrated_sqlite, tmp_path / "again.db")
    again = await rows_seeded(f"sqlite:///{tmp_path / 'again.db'}", Emulator(), now)
    keys = ("assignment_id", "badge_id", "status", "given_at", "recipients", "comment")
    assert [[r[k] for k in keys] for r in again] == [[r[k] for k in keys] for r in rows]
