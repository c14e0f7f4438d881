"""Distribution mode end to end: workspaces install badgebot through ``/slack/install`` and
``/slack/oauth_redirect`` (the fake Slack answers ``oauth.v2.access``), connect their own
Quantive (two emulators with different tokens and accounts), and each is served with its
own bot token and its own Quantive only.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.emulator import Emulator
from bot.cli.scheduled import digest_once
from bot.connections import connect
from bot.secrets import SecretBox, new_key
from bot.store import Store
from bot.store.connections import ConnectionRow
from handlers.slack.connect import CONNECT_MODAL, CONNECT_OPEN
from handlers.slack.decisions import UNKNOWN_AWARD
from handlers.slack.dispatch import NOT_CONNECTED
from tests.fake_slack import FakeSlack
from tests.harness import BotHarness, new_awards, new_trigger_id, signed_headers
from tests.isolation_requests import distribution_settings, quantive_fixture
from tests.workflow_steps import step_body

KEY = new_key()
ACME_TOKEN, INITECH_TOKEN, GLOBEX_TOKEN = (
    "qt-acme-7f3e9b2c",
    "qt-initech-4d1a8e6f",
    "qt-globex-9c2d",
)
#: The emulator's routes that approve or reject an award.
DECISIONS = ("POST /badges/approve/{id}", "DELETE /badges/approve/{id}")


acme_quantive = quantive_fixture(ACME_TOKEN, "acct-acme")


initech_quantive = quantive_fixture(INITECH_TOKEN, "acct-initech")


globex_quantive = quantive_fixture(GLOBEX_TOKEN, "acct-globex")


@pytest.fixture(scope="module")
def app(
    slack_server: FakeSlack,
    acme_quantive: Emulator,
    migrated_sqlite: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotHarness]:
    """One app in distribution mode for the module: no bot token, no QUANTIVE_* settings."""
    path = tmp_path_factory.mktemp("distribution") / "badgebot.db"
    shutil.copyfile(migrated_sqlite, path)
    harness = BotHarness(
        acme_quantive,  # only for the harness's own bookkeeping: no workspace uses it unset
        slack_server,
        f"sqlite:///{path}",
        **distribution_settings(KEY),
    )
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def bot(app: BotHarness, slack: FakeSlack) -> BotHarness:
    """The module's app, with the fake Slack's calls and installs forgotten."""
    return app


def install(bot: BotHarness, code: str) -> httpx.Response:
    """Add to Slack as an installer's browser does: the install page, Slack's consent
    (answered by the fake's ``add_install``), then the redirect with the state cookie."""
    page = bot.http.get(f"{bot.server.url}/slack/install")
    assert page.status_code == 200
    link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.text)
    assert link is not None, page.text
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert params["client_id"] == ["1111.2222"]
    assert params["redirect_uri"] == ["https://badgebot.example.com/slack/oauth_redirect"]
    assert "commands" in params["scope"][0].split(",")
    state = params["state"][0]
    cookie = page.headers["set-cookie"].split(";")[0]
    return bot.http.get(
        f"{bot.server.url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"cookie": cookie},
    )


def command(
    bot: BotHarness,
    text: str,
    user: str,
    team: str,
    *,
    enterprise: str | None = None,
    org_wide: bool = False,
) -> httpx.Response:
    body = urllib.parse.urlencode(
        {
            "token": "unused",
            "team_id": team,
            "team_domain": team.lower(),
            **({"enterprise_id": enterprise} if enterprise else {}),
            **({"is_enterprise_install": "true"} if org_wide else {}),
            "channel_id": "CGENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/badge",
            "text": text,
            "response_url": bot.slack.response_url(f"{team}-{user}"),
            "trigger_id": new_trigger_id(),
            "api_app_id": "ABADGEBOT",
        }
    )
    return bot.post(body)


def interactive(
    bot: BotHarness, payload: dict[str, Any], team: str, *, enterprise: str | None = None
) -> httpx.Response:
    payload = {
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": payload.pop("user"), "team_id": team},
        "api_app_id": "ABADGEBOT",
        "token": "unused",
        "trigger_id": new_trigger_id(),
        **({"enterprise": {"id": enterprise}, "is_enterprise_install": True} if enterprise else {}),
        **payload,
    }
    return bot.post(urllib.parse.urlencode({"payload": json.dumps(payload)}))


def approve(
    bot: BotHarness, award_id: str, user: str, team: str, *, enterprise: str | None = None
) -> httpx.Response:
    return interactive(
        bot,
        {
            "type": "block_actions",
            "user": user,
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "DAPPROVER"},
            "channel": {"id": "DAPPROVER"},
            "message": {"ts": "1.1", "text": "request"},
            "response_url": bot.slack.response_url(f"click-{team}"),
            "actions": [
                {"action_id": "approve_award", "block_id": "b", "value": award_id, "type": "button"}
            ],
        },
        team,
        enterprise=enterprise,
    )


def connect_directly(
    bot: BotHarness, key: str, emulator: Emulator, token: str, approver: str | None = None
) -> None:
    """Connect a workspace as an operator does (``python -m bot connect``), and make
    ``approver`` its approver."""

    async def run(store: Store) -> None:
        url = emulator.url  # type: ignore[attr-defined]
        await connect(store, SecretBox(KEY), key, url, emulator.account_id, token, "cli:ops")
        if approver:
            scoped = store.for_workspace(key)
            await scoped.set_workspace_setting("badge_approvers", [approver], "test")

    bot.query(run)


def test_two_workspaces_install_connect_and_give_each_in_its_own_quantive(
    bot: BotHarness, acme_quantive: Emulator, initech_quantive: Emulator
) -> None:
    acme = bot.slack.add_install("code-acme", "TACME", "Acme & Co", installer="UACMEADMIN")
    initech = bot.slack.add_install("code-ini", "TINITECH", "Initech", installer="UINIADMIN")
    done = install(bot, "code-acme")
    assert done.status_code == 200 and "Acme &amp; Co" in done.text and "Home" in done.text
    assert install(bot, "code-ini").status_code == 200
    # The installer is greeted with their workspace's own token.
    bot.slack.wait_calls("chat.postMessage", count=2, where=lambda a: "Home" in a.get("text", ""))

    # Acme's installer connects through the Home tab's form, checked against Acme's Quantive.
    calls_before = len(acme_quantive.calls.all())
    opened = interactive(
        bot,
        {
            "type": "block_actions",
            "user": "UACMEADMIN",
            "container": {"type": "view", "view_id": "VHOME"},
            "actions": [{"action_id": CONNECT_OPEN, "block_id": "b", "type": "button"}],
        },
        "TACME",
    )
    assert opened.status_code == 200
    [form] = bot.slack.wait_calls("views.open")
    assert form["view"]["callback_id"] == CONNECT_MODAL
    assert bot.slack.tokens_of("views.open") == [acme["access_token"]]
    values = {
        "region": {"region": {"type": "static_select", "selected_option": {"value": "custom"}}},
        "url": {"url": {"type": "plain_text_input", "value": acme_quantive.url}},  # type: ignore[attr-defined]
        "account": {"account": {"type": "plain_text_input", "value": "acct-acme"}},
        "token": {"token": {"type": "plain_text_input", "value": ACME_TOKEN}},
    }
    submitted = interactive(
        bot,
        {
            "type": "view_submission",
            "user": "UACMEADMIN",
            "view": {
                "id": "VCONNECT",
                "type": "modal",
                "callback_id": CONNECT_MODAL,
                "blocks": form["view"]["blocks"],
                "state": {"values": values},
            },
        },
        "TACME",
    )
    assert submitted.json()["response_action"] == "update"  # "Checking…", within the ack
    [result] = bot.slack.wait_calls("views.update", where=lambda a: a.get("view_id") == "VCONNECT")
    assert "Connected to" in json.dumps(result["view"])
    assert len(acme_quantive.calls.all()) > calls_before  # checked with Acme's Quantive
    # Initech is connected by an operator.
    connect_directly(bot, "slack:TINITECH", initech_quantive, INITECH_TOKEN, "UINIADMIN")

    # Each give lands in its own Quantive, and nowhere else.
    acme_before, initech_before = len(new_awards(acme_quantive)), len(new_awards(initech_quantive))
    assert command(bot, "give <@ULIAM|liam> Visionary for the roadmap", "UAMARA", "TACME")
    wait_for_awards(acme_quantive, acme_before + 1)
    assert len(new_awards(initech_quantive)) == initech_before
    assert command(bot, "give <@USOFIA|sofia> Visionary for billing", "UAMARA", "TINITECH")
    wait_for_awards(initech_quantive, initech_before + 1)
    assert len(new_awards(acme_quantive)) == acme_before + 1
    bot.wait_idle()
    # Every Slack call for a workspace used that workspace's own bot token.
    tokens = {acme["access_token"], initech["access_token"]}
    for method in ("chat.postMessage", "users.info", "conversations.open"):
        assert set(bot.slack.tokens_of(method)) <= tokens, method

    # A click in Initech naming Acme's award decides nothing in either Quantive.
    [acme_award] = [a for a in new_awards(acme_quantive) if a["comment"] == "for the roadmap"]
    approvals = sum(1 for c in acme_quantive.calls.all() if c.route in DECISIONS)
    approve(bot, acme_award["id"], "UINIADMIN", "TINITECH")
    bot.wait_idle()
    assert acme_quantive.state.assignments[acme_award["id"]].get("status", "pending") == "pending"
    assert sum(1 for c in acme_quantive.calls.all() if c.route in DECISIONS) == approvals
    assert not any(c.route in DECISIONS for c in initech_quantive.calls.all())
    [said] = [c for c in bot.slack.calls_of("response_url") if c["_key"] == "click-TINITECH"]
    assert said["text"] == UNKNOWN_AWARD


def test_a_wrong_token_in_the_connect_form_says_what_to_fix_and_stores_nothing(
    bot: BotHarness, acme_quantive: Emulator
) -> None:
    bot.slack.add_install("code-soylent", "TSOYLENT", "Soylent", installer="USOYADMIN")
    assert install(bot, "code-soylent").status_code == 200
    values = {
        "region": {"region": {"type": "static_select", "selected_option": {"value": "custom"}}},
        "url": {"url": {"type": "plain_text_input", "value": acme_quantive.url}},  # type: ignore[attr-defined]
        "account": {"account": {"type": "plain_text_input", "value": "acct-acme"}},
        "token": {"token": {"type": "plain_text_input", "value": "qt-not-the-token"}},
    }
    view = {
        "id": "VSOY",
        "type": "modal",
        "callback_id": CONNECT_MODAL,
        "state": {"values": values},
    }
    answer = interactive(
        bot, {"type": "view_submission", "user": "USOYADMIN", "view": view}, "TSOYLENT"
    )
    assert answer.json()["response_action"] == "update"
    [shown] = bot.slack.wait_calls("views.update", where=lambda a: a.get("view_id") == "VSOY")
    text = json.dumps(shown["view"])
    assert "refused the token or the account id (401)" in text and "qt-not-the-token" not in text
    assert shown["view"]["callback_id"] == CONNECT_MODAL  # the form again, to fix and resend

    async def connection(store: Store) -> object:
        return await store.for_workspace("slack:TSOYLENT").connection()

    assert bot.query(connection) is None
    # Someone who is neither a badge admin nor a Slack admin cannot connect it either.
    values["token"]["token"]["value"] = ACME_TOKEN
    view["id"] = "VSOY2"
    interactive(bot, {"type": "view_submission", "user": "UAMARA", "view": view}, "TSOYLENT")
    [refused] = bot.slack.wait_calls("views.update", where=lambda a: a.get("view_id") == "VSOY2")
    assert "Only badgebot's admins" in json.dumps(refused["view"])
    assert bot.query(connection) is None


def wait_for_awards(emulator: Emulator, count: int, timeout: float = 10.0) -> None:
    """Wait until ``emulator`` holds ``count`` awards besides the demo account's."""
    deadline = time.monotonic() + timeout
    while len(new_awards(emulator)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(new_awards(emulator))} awards, not {count}")
        time.sleep(0.02)


def test_an_installed_workspace_not_connected_is_told_and_calls_no_quantive(
    bot: BotHarness, acme_quantive: Emulator, initech_quantive: Emulator
) -> None:
    bot.slack.add_install("code-hooli", "THOOLI", "Hooli", installer="UHOOLIADMIN")
    assert install(bot, "code-hooli").status_code == 200
    calls = len(acme_quantive.calls.all()), len(initech_quantive.calls.all())
    answer = command(bot, "give <@ULIAM|liam> Visionary thanks", "UAMARA", "THOOLI")
    assert answer.status_code == 200 and answer.json()["text"] == NOT_CONNECTED
    # The Home tab offers the installer the connect button, and others the same sentence.
    for user, expected in (("UHOOLIADMIN", CONNECT_OPEN), ("UAMARA", "an admin can connect")):
        event_body = json.dumps(
            {
                "token": "unused",
                "team_id": "THOOLI",
                "api_app_id": "ABADGEBOT",
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "event": {"type": "app_home_opened", "user": user, "tab": "home"},
            }
        )
        bot.http.post(
            bot.url,
            content=event_body,
            headers={**signed_headers(event_body), "Content-Type": "application/json"},
        )
        [home] = bot.slack.wait_calls("views.publish", where=lambda a, u=user: a["user_id"] == u)
        assert expected in json.dumps(home["view"])
    # A workflow's "Give a badge" step ends with the same sentence, not Slack's timeout.
    inputs = {"giver": "UAMARA", "recipients": ["ULIAM"], "badge": "Mentor"}
    step = json.dumps(step_body(inputs, "FxHOOLI", team="THOOLI"))
    bot.http.post(
        bot.url, content=step, headers={**signed_headers(step), "Content-Type": "application/json"}
    )
    [ended] = bot.slack.wait_calls("functions.completeError")
    assert ended["function_execution_id"] == "FxHOOLI" and ended["error"] == NOT_CONNECTED
    bot.wait_idle()
    assert (len(acme_quantive.calls.all()), len(initech_quantive.calls.all())) == calls


def test_an_org_wide_install_serves_two_workspaces_of_the_org(
    bot: BotHarness, globex_quantive: Emulator
) -> None:
    bot.slack.add_install(
        "code-org", None, None, enterprise_id="EGLOBEX", enterprise_name="Globex", org_wide=True
    )
    assert install(bot, "code-org").status_code == 200
    connect_directly(bot, "slack:EGLOBEX", globex_quantive, GLOBEX_TOKEN, "UOLIVER")
    before = len(new_awards(globex_quantive))
    give = command(
        bot, "give <@ULIAM|liam> Visionary org-wide", "UAMARA", "TGX1", enterprise="EGLOBEX",
        org_wide=True,
    )  # fmt: skip
    assert give.status_code == 200
    wait_for_awards(globex_quantive, before + 1)
    [award] = [a for a in new_awards(globex_quantive) if a["comment"] == "org-wide"]
    # An approver in another workspace of the org approves it.
    approve(bot, award["id"], "UOLIVER", "TGX2", enterprise="EGLOBEX")
    deadline = time.monotonic() + 10
    while globex_quantive.state.assignments[award["id"]].get("status") != "approved":
        assert time.monotonic() < deadline, globex_quantive.state.assignments[award["id"]]
        time.sleep(0.02)


def test_an_uninstalled_workspace_is_served_no_more(
    bot: BotHarness, initech_quantive: Emulator
) -> None:
    bot.slack.add_install("code-umbrella", "TUMBRELLA", "Umbrella", installer="UUMBADMIN")
    bot.slack.add_install("code-stark", "TSTARK", "Stark", installer="USTARKADMIN")
    assert install(bot, "code-umbrella").status_code == 200
    assert install(bot, "code-stark").status_code == 200
    connect_directly(bot, "slack:TUMBRELLA", initech_quantive, INITECH_TOKEN)

    # A post waits in each workspace's outbox (a week from now, so no worker sends it).
    async def queue_posts(store: Store) -> None:
        for key in ("slack:TUMBRELLA", "slack:TSTARK"):
            post = {"kind": "post", "channel": "CGENERAL", "text": "hello"}
            await store.for_workspace(key).enqueue_chat(
                "slack", "k-1", post, delay=7 * 86400, error="test"
            )

    bot.query(queue_posts)
    event = json.dumps(
        {
            "token": "unused",
            "team_id": "TUMBRELLA",
            "api_app_id": "ABADGEBOT",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": {"type": "app_uninstalled"},
        }
    )
    bot.http.post(
        bot.url,
        content=event,
        headers={**signed_headers(event), "Content-Type": "application/json"},
    )
    bot.wait_idle()

    async def installations(store: Store) -> list[Any]:
        async with store.engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT team_id FROM slack_bots UNION ALL SELECT team_id FROM slack_installations"
            )
            return [row[0] for row in rows]

    left = bot.query(installations)
    assert "TUMBRELLA" not in left and "TSTARK" in left  # nothing of another workspace

    async def queued(store: Store) -> dict[str, int]:
        async with store.engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT workspace, count(*) FROM chat_outbox WHERE idempotency_key = 'k-1' "
                "GROUP BY workspace"
            )
            return {row[0]: row[1] for row in rows}

    assert bot.query(queued) == {"slack:TSTARK": 1}  # Umbrella's post dropped, Stark's kept
    before = len(initech_quantive.calls.all())
    answer = command(bot, "give <@ULIAM|liam> Visionary thanks", "UAMARA", "TUMBRELLA")
    assert answer.status_code == 200
    bot.wait_idle()
    assert len(initech_quantive.calls.all()) == before
    # Bolt's authorize finds no installation: the person is told how to add it again.
    [said] = bot.slack.wait_calls("response_url")
    assert said["text"] == (
        "badgebot is not installed in this workspace (or was removed). An admin can add it "
        "again at https://badgebot.example.com/slack/install."
    )


def test_no_token_is_stored_in_clear(bot: BotHarness, initech_quantive: Emulator) -> None:
    wayne = bot.slack.add_install("code-wayne", "TWAYNE", "Wayne", rotating=True)
    assert install(bot, "code-wayne").status_code == 200
    connect_directly(bot, "slack:TWAYNE", initech_quantive, INITECH_TOKEN)
    path = bot.settings.database.removeprefix("sqlite:///")
    raw = Path(path).read_bytes()
    wal = Path(path + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert b"TWAYNE" in raw  # the rows are there, in the file or its log
    for secret in (INITECH_TOKEN, wayne["access_token"], wayne["refresh_token"]):
        assert secret.encode() not in raw


def test_the_digest_runs_for_every_workspace_with_its_own_token_and_quantive(
    bot: BotHarness, acme_quantive: Emulator, initech_quantive: Emulator, capsys
) -> None:
    one = bot.slack.add_install("code-d1", "TDIGONE", "Digest one")
    two = bot.slack.add_install("code-d2", "TDIGTWO", "Digest two")
    bot.slack.add_install("code-d3", "TDIGDOWN", "Digest down")
    for code in ("code-d1", "code-d2", "code-d3"):
        assert install(bot, code).status_code == 200
    connect_directly(bot, "slack:TDIGONE", acme_quantive, ACME_TOKEN)
    connect_directly(bot, "slack:TDIGTWO", initech_quantive, INITECH_TOKEN)

    async def channels_and_a_dead_quantive(store: Store) -> None:
        for key, channel in (("slack:TDIGONE", "CONE"), ("slack:TDIGTWO", "CTWO")):
            await store.for_workspace(key).set_workspace_setting("digest_channels", [channel], "t")
        down = store.for_workspace("slack:TDIGDOWN")
        await down.set_workspace_setting("digest_channels", ["CDOWN"], "t")
        await down.save_connection(
            ConnectionRow(
                workspace="slack:TDIGDOWN",
                quantive_url="http://127.0.0.1:9/api/v1",  # nothing listens there
                account_id="acct-down",
                token_encrypted=SecretBox(KEY).encrypt("qt-down"),
                token_last4="down",
                connected_by="test",
            )
        )

    bot.query(channels_and_a_dead_quantive)
    reads = {e: e.calls.count("GET /badges/approve") for e in (acme_quantive, initech_quantive)}
    status = asyncio.run(digest_once(bot.settings, force=False, channel=None))
    assert status == 1  # the dead workspace failed, and said so
    posts = {c["channel"]: c for c in bot.slack.calls_of("chat.postMessage")}
    assert {"CONE", "CTWO"} <= set(posts) and "CDOWN" not in posts
    tokens = dict(zip(
        [c["channel"] for c in bot.slack.calls_of("chat.postMessage")],
        bot.slack.tokens_of("chat.postMessage"),
        strict=True,
    ))  # fmt: skip
    assert tokens["CONE"] == one["access_token"] and tokens["CTWO"] == two["access_token"]
    for emulator, before in reads.items():
        assert emulator.calls.count("GET /badges/approve") > before
    # --channel names one workspace's channel, or it is said that none posts there.
    posted = len(bot.slack.calls_of("chat.postMessage"))
    assert asyncio.run(digest_once(bot.settings, force=True, channel="CELSEWHERE")) == 1
    assert "CELSEWHERE is none of the workspaces' channels" in capsys.readouterr().err
    assert len(bot.slack.calls_of("chat.postMessage")) == posted
    assert asyncio.run(digest_once(bot.settings, force=True, channel="CTWO")) == 0
    [again] = bot.slack.calls_of("chat.postMessage")[posted:]
    assert again["channel"] == "CTWO"
