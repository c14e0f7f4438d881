"""Workspace isolation in distribution mode, attacked end to end: one app, two workspaces
installed through ``/slack/install`` and connected to their own emulators. Alpha holds
awards (held by the bot, and one made and waiting in its Quantive); every request below
is signed and comes from Bravo, or names no workspace that may act on Alpha's awards.

Each attack must decide nothing, read none of Alpha's records, say only that the award is
unknown (no badge, comment or person of Alpha), and never answer 500.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.emulator import Emulator, Fault
from bot.background_server import BackgroundServer
from bot.connections import connect
from bot.secrets import SecretBox, new_key
from bot.store import Store
from handlers.slack.blocks import REJECT_MODAL
from handlers.slack.connect import CONNECT_MODAL
from handlers.slack.decisions import UNKNOWN_AWARD
from tests.fake_slack import FakeSlack
from tests.harness import FAST_OUTBOX, BotHarness, new_trigger_id, signed_headers

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


@dataclass
class World:
    """The app, its fakes, and Alpha's awards: ``held`` waits for an approver in the bot,
    ``made`` was approved in Alpha and is ``quantive_id`` in Alpha's Quantive."""

    bot: BotHarness
    slack: RevocableSlack
    alpha: Emulator
    bravo: Emulator
    tokens: dict[str, str]
    held: str
    made: str
    quantive_id: str

    def ids(self) -> list[str]:
        return [self.held, self.made, self.quantive_id]


def _emulator(token: str, account: str) -> Iterator[Emulator]:
    emulator = Emulator(token=token, account_id=account)
    with BackgroundServer(emulator.app) as server:
        emulator.url = f"{server.url}/api/v1"  # type: ignore[attr-defined]
        yield emulator


@pytest.fixture(scope="module")
def alpha_quantive() -> Iterator[Emulator]:
    yield from _emulator(ALPHA_QT, "acct-alpha")


@pytest.fixture(scope="module")
def bravo_quantive() -> Iterator[Emulator]:
    yield from _emulator(BRAVO_QT, "acct-bravo")


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[RevocableSlack]:
    fake = RevocableSlack()
    with BackgroundServer(fake.app) as server:
        fake.url = server.url
        yield fake


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


@pytest.fixture(scope="module")
def world(
    fake_slack: RevocableSlack,
    alpha_quantive: Emulator,
    bravo_quantive: Emulator,
    migrated_sqlite: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    """Alpha and Bravo installed and connected; Alpha holds one award, and one more was
    approved there (the bot made it in Alpha's Quantive and approved it there too)."""
    path = tmp_path_factory.mktemp("isolation") / "badgebot.db"
    path.write_bytes(migrated_sqlite.read_bytes())
    bot = BotHarness(
        alpha_quantive,
        fake_slack,
        f"sqlite:///{path}",
        slack_bot_token=None,
        slack_client_id="1111.2222",
        slack_client_secret="client-secret",
        public_url="https://badgebot.example.com",
        badgebot_secret_key=KEY,
        quantive_api_token=None,
        quantive_account_id=None,
        badge_approvers=[],
        **FAST_OUTBOX,
    )
    bot.start()
    try:
        alpha = fake_slack.add_install("code-alpha", "TALPHA", "Alpha", installer="UMARIA")
        bravo = fake_slack.add_install(
            "code-bravo", "TBRAVO", "Bravo", enterprise_id="EBRAVO", installer="UOLIVER"
        )
        install(bot, "code-alpha")
        install(bot, "code-bravo")
        setup_workspace(
            bot, ALPHA, alpha_quantive, ALPHA_QT, badge_approval="bot", badge_approvers=["UMARIA"]
        )
        setup_workspace(bot, BRAVO, bravo_quantive, BRAVO_QT, badge_approvers=["UOLIVER"])
        for _ in range(2):
            command(bot, f"give <@ULIAM|liam> Visionary {SECRET_COMMENT}", "UAMARA", "TALPHA", "g")
        held = wait_until(lambda: len(rows := alpha_rows(bot, "held")) == 2 and rows, "holds")
        made, kept = held[0]["assignment_id"], held[1]["assignment_id"]
        click(bot, "approve_award", made, "UMARIA", "TALPHA", "alpha-approves")
        bot.wait_idle()
        [row] = [r for r in alpha_rows(bot, "approved") if r["assignment_id"] == made]
        tokens = {ALPHA: alpha["access_token"], BRAVO: bravo["access_token"]}
        yield World(
            bot, fake_slack, alpha_quantive, bravo_quantive, tokens, kept, made,
            row["quantive_assignment_id"],
        )  # fmt: skip
    finally:
        bot.stop()


@dataclass
class Before:
    """What Alpha's state and the fakes held before an attack."""

    records: Any
    alpha_calls: int
    bravo_calls: int
    slack_calls: int


def alpha_records(world: World) -> Any:
    """Alpha's records, claims and outbox, read through its own view of the store."""

    async def read(store: Store) -> Any:
        scoped = store.for_workspace(ALPHA)
        rows = {i: (await scoped.award_row(i), await scoped.decision(i)) for i in world.ids()}
        return rows, await scoped.outbox_counts()

    return world.bot.query(read)


@pytest.fixture
def before(world: World) -> Before:
    world.bot.wait_idle()
    return Before(
        alpha_records(world),
        len(world.alpha.calls.all()),
        len(world.bravo.calls.all()),
        len(world.slack.calls),
    )


def assert_untouched(world: World, before: Before) -> None:
    """Nothing of Alpha changed, no award was changed in either Quantive, and every
    Slack call made since used Bravo's token or none of a workspace's."""
    world.bot.wait_idle()
    assert alpha_records(world) == before.records
    for emulator, mark in ((world.alpha, before.alpha_calls), (world.bravo, before.bravo_calls)):
        assert not [c.route for c in emulator.calls.all()[mark:] if c.route in WRITES]
    assert world.tokens[ALPHA] not in {c.token for c in world.slack.calls[before.slack_calls :]}


def said(world: World, before: Before) -> list[str]:
    """Every text Slack was asked to show since ``before``, whatever the way."""
    shown = []
    for call in world.slack.calls[before.slack_calls :]:
        shown.append(json.dumps(call.args))
    return shown


def assert_says_unknown(world: World, before: Before, texts: list[str]) -> None:
    assert texts and all(t == UNKNOWN_AWARD for t in texts), texts
    for text in said(world, before):
        for secret in (SECRET_COMMENT, "Visionary", "liam", "UAMARA", world.quantive_id):
            assert secret not in text, (secret, text)


def replies(world: World, before: Before, key: str) -> list[str]:
    calls = world.slack.calls[before.slack_calls :]
    return [c.args["text"] for c in calls if c.method == "response_url" and c.args["_key"] == key]


@pytest.mark.parametrize("which", ["held", "made", "quantive_id"])
@pytest.mark.parametrize("action", ["approve_award", "reject_award"])
def test_bravo_buttons_naming_alpha_awards_decide_nothing(
    world: World, before: Before, action: str, which: str
) -> None:
    key = f"{action}-{which}"
    click(world.bot, action, getattr(world, which), "UOLIVER", "TBRAVO", key)
    world.bot.wait_idle()
    assert_untouched(world, before)
    opened = [c for c in world.slack.calls[before.slack_calls :] if c.method == "views.open"]
    assert not opened  # no reason asked for an award Bravo does not have
    assert_says_unknown(world, before, replies(world, before, key))


@pytest.mark.parametrize("which", ["held", "quantive_id"])
def test_bravo_reject_modal_naming_alpha_award_decides_nothing(
    world: World, before: Before, which: str
) -> None:
    metadata = json.dumps({"assignment_id": getattr(world, which), "channel": "CBRAVO"})
    view = {
        "id": "VREJECT",
        "type": "modal",
        "callback_id": REJECT_MODAL,
        "private_metadata": metadata,
        "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": "x"}}}},
    }
    post(world.bot, interaction("view_submission", "UOLIVER", "TBRAVO", view=view))
    world.bot.wait_idle()
    assert_untouched(world, before)
    calls = world.slack.calls[before.slack_calls :]
    assert_says_unknown(world, before, [c.args["text"] for c in calls if "text" in c.args])


@pytest.mark.parametrize("which", ["made", "quantive_id", "held"])
def test_bravo_revoke_naming_alpha_award_takes_nothing_back(
    world: World, before: Before, which: str
) -> None:
    value = json.dumps({"assignment_id": getattr(world, which), "assignee_id": "u1", "badge": "b"})
    click(world.bot, "revoke_award", value, "UOLIVER", "TBRAVO", f"revoke-{which}")
    world.bot.wait_idle()
    assert_untouched(world, before)
    [text] = replies(world, before, f"revoke-{which}")
    assert text == "I no longer know that award."
