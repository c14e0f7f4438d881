"""Teams across tenants (TEAMS_MULTI_TENANT), end to end: one running app, signed
activities from two connected tenants and one that is not, each connected tenant with its
own Quantive (an emulator with its own token and account). The first tenant is connected
through the store, the second through the connect card in the bot's chat."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.emulator import Emulator
from bot.background_server import BackgroundServer
from bot.connections import connect
from bot.secrets import SecretBox, new_key
from bot.store import Store
from handlers.teams.connect import CONNECT_VERB, ONLY_ADMINS
from handlers.teams.tenants import NOT_CONNECTED, NOT_CONNECTED_MARKDOWN
from tests.fake_teams import OTHER_TENANT_ID, TENANT_ID, FakeTeams
from tests.harness import BotHarness, new_awards
from tests.teams_client import action, card_of, install, nodes, post_activity, send, texts

ACME = ("acme-quantive-token-1111", "acmeaccount01")
GLOBEX = ("globex-quantive-token-2222", "globexaccount02")
IDLE = ("idle-quantive-token-3333", "idleaccount03")
#: A tenant nobody has connected.
IDLE_TENANT_ID = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
ACME_KEY, GLOBEX_KEY = f"teams:{TENANT_ID}", f"teams:{OTHER_TENANT_ID}"
VISIONARY = "64c000000000000000000002"
SEEDED_PENDING = "64d000000000000000000001"


@dataclass
class World:
    """The running app and the three Quantive accounts it may reach."""

    bot: BotHarness
    acme: Emulator
    globex: Emulator
    idle: Emulator
    database: Path

    def calls(self) -> list[int]:
        """How many calls each Quantive has had so far."""
        return [emulator.calls.count() for emulator in (self.acme, self.globex, self.idle)]


@dataclass
class CardConnect:
    """What the connect card showed and answered when the second tenant was connected."""

    form: dict[str, Any]
    wrong: dict[str, Any]
    stored_after_wrong: Any
    right: dict[str, Any]
    updates: list[dict[str, Any]]


@pytest.fixture(scope="module")
def world(
    slack_server, teams_server: FakeTeams, migrated_sqlite, tmp_path_factory
) -> Iterator[World]:
    """The app in multi-tenant mode (Slack off, no Teams approvers in the environment),
    started once for the module; the first tenant connected to its Quantive."""
    path = tmp_path_factory.mktemp("tenants") / "bot.db"
    shutil.copyfile(migrated_sqlite, path)
    key = new_key()
    with contextlib.ExitStack() as stack:
        emulators = []
        for token, account in (ACME, GLOBEX, IDLE):
            emulator = Emulator(token=token, account_id=account)
            server = stack.enter_context(BackgroundServer(emulator.app))
            emulator.url = f"{server.url}/api/v1"  # type: ignore[attr-defined]
            emulators.append(emulator)
        acme, globex, idle = emulators
        teams_server.reset()
        bot = BotHarness(
            acme,
            slack_server,
            f"sqlite:///{path}",
            **{**teams_server.settings(), "teams_approvers": []},
            teams_multi_tenant=True,
            badgebot_secret_key=key,
            slack_bot_token=None,
            slack_signing_secret=None,
            quantive_api_token=None,
            quantive_sync_seconds=0,  # no background reads: every Quantive call is a test's
        ).start()
        stack.callback(bot.stop)

        async def connect_acme(store: Store) -> None:
            await connect(store, SecretBox(key), ACME_KEY, acme.url, ACME[1], ACME[0], "ops")  # type: ignore[attr-defined]
            scoped = store.for_workspace(ACME_KEY)
            await scoped.set_workspace_setting("teams_admins", ["maria.garcia@acme.example"], "ops")
            approvers = ["maria.garcia@acme.example", "aad-oliver"]
            await scoped.set_workspace_setting("teams_approvers", approvers, "ops")

        bot.query(connect_acme)
        yield World(bot, acme, globex, idle, path)


@pytest.fixture(scope="module")
def carded(world: World, teams_server: FakeTeams) -> CardConnect:
    """The second tenant connected by Maria of that tenant with the connect card: first a
    wrong token, then the right one."""
    teams = teams_server
    teams.reset()
    asked = teams.message(
        "connect", user="29:t2-maria", conversation="a:t2-maria", tenant=OTHER_TENANT_ID
    )
    send(world.bot, teams, asked)
    [message] = teams.sent()
    form = card_of(message)
    fields = {"region": "custom", "url": world.globex.url, "account": GLOBEX[1]}  # type: ignore[attr-defined]

    def submit(token: str) -> dict[str, Any]:
        click = teams.click(
            message,
            action(form, CONNECT_VERB),
            user="29:t2-maria",
            inputs={**fields, "token": token},
            tenant=OTHER_TENANT_ID,
        )
        return send(world.bot, teams, click).json()

    wrong = submit("wrong-token-9999")
    stored = world.bot.query(lambda store: store.for_workspace(GLOBEX_KEY).connection())
    right = submit(GLOBEX[0])
    return CardConnect(form, wrong, stored, right, teams.updates())


def said(teams: FakeTeams, conversation: str) -> list[str]:
    """What each activity the bot sent to a conversation says."""
    return [
        texts(card_of(a)) if a.get("attachments") else a.get("text", "")
        for a in teams.sent()
        if a["conversation"] == conversation
    ]


def awards_with(emulator: Emulator, comment: str) -> list[dict[str, Any]]:
    return [a for a in new_awards(emulator) if a.get("comment") == comment]


def test_the_connect_card_checks_the_token_and_keeps_it_encrypted(world, carded) -> None:
    inputs = {node["id"]: node for node in nodes(carded.form) if "id" in node}
    assert inputs["token"]["type"] == "Input.Text" and inputs["token"]["style"] == "password"
    assert {"eu", "us", "custom"} <= {c["value"] for c in inputs["region"]["choices"]}
    # The wrong token: the form again with what to fix, the token neither kept nor echoed.
    assert carded.wrong["type"] == "application/vnd.microsoft.card.adaptive"
    assert "refused the token" in texts(carded.wrong["value"])
    again = {node["id"]: node for node in nodes(carded.wrong["value"]) if "id" in node}
    assert "value" not in again["token"] and again["account"]["value"] == GLOBEX[1]
    assert "wrong-token-9999" not in json.dumps(carded.wrong)
    assert carded.stored_after_wrong is None
    # The right one: host and account, never the token, for the clicker and for everyone.
    shown = texts(carded.right["value"])
    assert "Connected to" in shown and GLOBEX[1] in shown and "127.0.0.1" in shown
    assert GLOBEX[0] not in json.dumps(carded.right)
    assert "Connected to" in texts(card_of(carded.updates[-1]["body"]))
    assert all(GLOBEX[0] not in json.dumps(u) for u in carded.updates)
    row = world.bot.query(lambda store: store.for_workspace(GLOBEX_KEY).connection())
    assert row.account_id == GLOBEX[1] and row.token_last4 == GLOBEX[0][-4:]
    raw = b"".join(p.read_bytes() for p in world.database.parent.glob("bot.db*"))
    assert GLOBEX[0].encode() not in raw and ACME[0].encode() not in raw
    assert GLOBEX[1].encode() in raw  # the file read is the one the app writes
    # Who connected it is its first admin and approver (by email).
    stored = world.bot.query(lambda store: store.for_workspace(GLOBEX_KEY).workspace_settings())
    assert stored["teams_admins"] == stored["teams_approvers"] == ["maria.garcia@acme.example"]


def test_each_tenants_give_lands_in_its_own_quantive(world, carded, teams) -> None:
    # Noah has never written to the bot in either tenant: his 1:1 chat is opened for the
    # notice, in his own tenant.
    for user, friend, tenant, comment in (
        ("29:maria", "29:noah", TENANT_ID, "from acme"),
        ("29:t2-maria", "29:t2-noah", OTHER_TENANT_ID, "from globex"),
    ):
        conversation = f"a:{user.removeprefix('29:')}"
        text = f"give {{{friend}}} Visionary {comment}"
        message = teams.message(
            text, user=user, conversation=conversation, mentions=[friend], tenant=tenant
        )
        send(world.bot, teams, message)
    [acme_award] = awards_with(world.acme, "from acme")
    [globex_award] = awards_with(world.globex, "from globex")
    assert acme_award["badgeId"] == globex_award["badgeId"] == VISIONARY
    assert awards_with(world.acme, "from globex") == awards_with(world.globex, "from acme") == []
    assert awards_with(world.idle, "from acme") == awards_with(world.idle, "from globex") == []
    assert any("You received" in t for t in said(teams, "a:noah"))
    assert any("You received" in t for t in said(teams, "a:t2-noah"))
    opened = {
        c["body"]["members"][0]["id"]: c["body"] for c in teams.calls if c["method"] == "CREATE"
    }
    assert opened["29:noah"]["tenantId"] == TENANT_ID
    assert opened["29:t2-noah"]["tenantId"] == OTHER_TENANT_ID
    assert opened["29:t2-noah"]["channelData"] == {"tenant": {"id": OTHER_TENANT_ID}}


def test_approval_requests_go_to_that_tenants_people_only(world, carded, teams) -> None:
    install(world.bot, teams, "29:maria")  # listed by email: the install tells who she is
    for user, friend, tenant, comment in (
        ("29:amara", "29:liam", TENANT_ID, "acme needs approval"),
        ("29:t2-amara", "29:t2-liam", OTHER_TENANT_ID, "globex needs approval"),
    ):
        conversation = f"a:{user.removeprefix('29:')}"
        text = f"give {{{friend}}} Visionary {comment}"
        message = teams.message(
            text, user=user, conversation=conversation, mentions=[friend], tenant=tenant
        )
        send(world.bot, teams, message)
    assert awards_with(world.acme, "acme needs approval")[0]["status"] == "pending"
    assert awards_with(world.globex, "globex needs approval")[0]["status"] == "pending"
    requests = [
        a for a in teams.sent() if a.get("attachments") and "wants to give" in texts(card_of(a))
    ]
    acme = sorted(a["conversation"] for a in requests if "acme needs" in texts(card_of(a)))
    globex = sorted(a["conversation"] for a in requests if "globex needs" in texts(card_of(a)))
    # Both tenants list an approver by the same email: each finds only its own person.
    assert acme == ["a:maria", "a:oliver"] and globex == ["a:t2-maria"]
    created = [c["body"] for c in teams.calls if c["method"] == "CREATE"]
    assert created and all(b["tenantId"] == TENANT_ID for b in created)  # Oliver, by object id


def test_a_button_naming_another_tenants_award_decides_nothing(world, carded, teams) -> None:
    install(world.bot, teams, "29:maria")
    message = teams.message(
        "give {29:liam} Visionary across tenants", user="29:amara", mentions=["29:liam"]
    )
    send(world.bot, teams, message)
    [award] = awards_with(world.acme, "across tenants")
    [card] = [
        a
        for a in teams.sent()
        if a["conversation"] == "a:maria" and "across tenants" in texts(card_of(a))
    ]
    approvals = [e.calls.count("POST /badges/approve/{id}") for e in (world.acme, world.globex)]
    # Maria of the other tenant, an approver there, clicks approve on that award's id.
    elsewhere = {**card, "conversation": "a:t2-maria"}
    click = teams.click(
        elsewhere, action(card_of(card), "approve"), user="29:t2-maria", tenant=OTHER_TENANT_ID
    )
    answer = send(world.bot, teams, click).json()
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert answer["value"] == "I don't know that award; nothing changed."
    assert world.acme.state.assignments[award["id"]]["status"] == "pending"
    assert [
        e.calls.count("POST /badges/approve/{id}") for e in (world.acme, world.globex)
    ] == approvals
    assert teams.updates() == []
    # Her own tenant's awards are hers to decide: the same kind of button works there.
    message = teams.message(
        "give {29:t2-liam} Visionary within a tenant",
        user="29:t2-amara",
        conversation="a:t2-amara",
        mentions=["29:t2-liam"],
        tenant=OTHER_TENANT_ID,
    )
    send(world.bot, teams, message)
    [own] = awards_with(world.globex, "within a tenant")
    [mine] = [
        a
        for a in teams.sent()
        if a["conversation"] == "a:t2-maria" and "within a tenant" in texts(card_of(a))
    ]
    click = teams.click(
        mine, action(card_of(mine), "approve"), user="29:t2-maria", tenant=OTHER_TENANT_ID
    )
    assert "Approved by" in texts(send(world.bot, teams, click).json()["value"])
    assert world.globex.state.assignments[own["id"]]["status"] == "approved"
    assert world.acme.state.assignments[award["id"]]["status"] == "pending"


def test_an_unconnected_tenant_is_told_and_no_quantive_is_called(world, carded, teams) -> None:
    before = world.calls()
    where = {"user": "29:t3-zoe", "conversation": "a:t3-zoe", "tenant": IDLE_TENANT_ID}
    for text in ("give {29:t3-liam} Visionary thanks", "list", "home"):
        send(world.bot, teams, teams.message(text, mentions=["29:t3-liam"], **where))
    approve = {
        "action": {
            "type": "Action.Execute",
            "verb": "approve",
            "data": {"action": "approve", "assignment_id": SEEDED_PENDING},
        }
    }
    clicked = send(world.bot, teams, teams.invoke("adaptiveCard/action", approve, **where)).json()
    dialog = send(
        world.bot,
        teams,
        teams.invoke(
            "composeExtension/fetchTask",
            {"commandId": "giveBadge", "commandContext": "compose"},
            **where,
        ),
    ).json()
    # Messages are markdown and quote the command as code; invoke answers and dialogs
    # show plain text, where backticks would be shown as they are.
    assert said(teams, "a:t3-zoe") == [NOT_CONNECTED_MARKDOWN] * 3
    assert NOT_CONNECTED_MARKDOWN.endswith(
        "an admin can connect it by sending `connect` to badgebot."
    )
    assert "`" not in NOT_CONNECTED and "“connect”" in NOT_CONNECTED
    assert clicked["value"] == NOT_CONNECTED
    assert dialog == {"task": {"type": "message", "value": NOT_CONNECTED}}
    assert world.calls() == before
    # `connect` offers the card (nobody administers this tenant yet), and still no call.
    send(world.bot, teams, teams.message("connect", **where))
    assert "Connect Quantive" in said(teams, "a:t3-zoe")[-1]
    assert world.calls() == before


def test_only_a_connected_tenants_admins_may_connect_it_again(world, carded, teams) -> None:
    before = world.calls()
    send(world.bot, teams, teams.message("connect", user="29:amara", conversation="a:amara"))
    assert said(teams, "a:amara") == [ONLY_ADMINS]
    # A click forged as Amara's, aiming the tenant at another Quantive.
    data = {
        "action": CONNECT_VERB,
        "region": "custom",
        "url": world.idle.url,
        "account": IDLE[1],
        "token": IDLE[0],
    }  # type: ignore[attr-defined]
    forged = {"action": {"type": "Action.Execute", "verb": CONNECT_VERB, "data": data}}
    invoke = teams.invoke("adaptiveCard/action", forged, user="29:amara", conversation="a:amara")
    assert send(world.bot, teams, invoke).json()["value"] == ONLY_ADMINS
    row = world.bot.query(lambda store: store.for_workspace(ACME_KEY).connection())
    assert row.account_id == ACME[1]
    assert world.calls() == before
    # Its admin may: she gets the card.
    send(world.bot, teams, teams.message("connect", user="29:maria", conversation="a:maria"))
    assert "Connect Quantive" in said(teams, "a:maria")[-1]


@pytest.mark.parametrize("case", ["no tenant", "not a GUID", "two tenants"])
def test_an_activity_without_one_valid_tenant_changes_nothing(world, teams, case) -> None:
    activity = teams.message("help", user="29:amara", conversation="a:stray")
    if case == "no tenant":
        del activity["channelData"]["tenant"], activity["conversation"]["tenantId"]
    elif case == "not a GUID":
        activity["channelData"]["tenant"]["id"] = activity["conversation"]["tenantId"] = "acme"
    else:
        activity["channelData"]["tenant"]["id"] = OTHER_TENANT_ID
    answer = post_activity(world.bot, activity, teams.sign())
    assert answer.status_code == 200
    world.bot.wait_idle()
    assert teams.calls == []
    for key in (ACME_KEY, GLOBEX_KEY, "default"):
        assert (
            world.bot.query(lambda store, k=key: store.for_workspace(k).conversation("a:stray"))
            is None
        )
