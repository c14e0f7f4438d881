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
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.emulator import Emulator, Fault
from bot.background_server import BackgroundServer
from bot.store import Store
from handlers.slack.blocks import GIVE_MODAL, REJECT_MODAL
from handlers.slack.connect import CONNECT_MODAL
from handlers.slack.decisions import UNKNOWN_AWARD
from tests.harness import FAST_OUTBOX, BotHarness, give_modal_values, new_awards
from tests.isolation_requests import (
    ALPHA,
    ALPHA_QT,
    BRAVO,
    BRAVO_QT,
    KEY,
    SECRET_COMMENT,
    WRITES,
    RevocableSlack,
    alpha_rows,
    click,
    command,
    distribution_settings,
    home,
    install,
    interaction,
    post,
    quantive_fixture,
    setup_workspace,
    wait_until,
)


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


alpha_quantive = quantive_fixture(ALPHA_QT, "acct-alpha")


bravo_quantive = quantive_fixture(BRAVO_QT, "acct-bravo")


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[RevocableSlack]:
    fake = RevocableSlack()
    with BackgroundServer(fake.app) as server:
        fake.url = server.url
        yield fake


class LogTrap(logging.Handler):
    """Keeps every record, formatted with its traceback, for the module's last test."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def trap() -> Iterator[list[str]]:
    """The module's log records at INFO (what a deployment logs), from every thread:
    caplog keeps one test's only, and the app logs in its own."""
    handler, root, httpx = LogTrap(), logging.getLogger(), logging.getLogger("httpx")
    levels = root.level, httpx.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # As bot.cli sets it: httpx's INFO line per request carries the URL, whose query
    # names people by email (Quantive's user filter).
    httpx.setLevel(logging.WARNING)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(levels[0])
    httpx.setLevel(levels[1])


@pytest.fixture(scope="module")
def world(
    trap: list[str],
    fake_slack: RevocableSlack,
    alpha_quantive: Emulator,
    bravo_quantive: Emulator,
    migrated_sqlite: Path,
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
        **distribution_settings(KEY),
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


def assert_untouched(
    world: World, before: Before, *, bravo_gives: bool = False, as_alpha: bool = False
) -> None:
    """Nothing of Alpha changed, no award was changed in Alpha's Quantive (nor in
    Bravo's, unless ``bravo_gives``), and no Slack call since used Alpha's token (unless
    ``as_alpha``: Slack said the request came from Alpha)."""
    world.bot.wait_idle()
    assert alpha_records(world) == before.records
    marks = [(world.alpha, before.alpha_calls)]
    marks += [] if bravo_gives else [(world.bravo, before.bravo_calls)]
    for emulator, mark in marks:
        assert not [c.route for c in emulator.calls.all()[mark:] if c.route in WRITES]
    assert as_alpha or world.tokens[ALPHA] not in {
        c.token for c in world.slack.calls[before.slack_calls :]
    }


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


def test_bravo_give_modal_naming_alpha_channel_and_ids_gives_in_bravo_only(
    world: World, before: Before
) -> None:
    [badge] = [b for b in world.bravo.state.badges.values() if b["name"] == "Visionary"]
    view = {
        "id": "VGIVE",
        "type": "modal",
        "callback_id": GIVE_MODAL,
        "private_metadata": json.dumps({"channel": "CALPHA", "assignment_id": world.held}),
        "state": {"values": give_modal_values(["ULIAM"], badge["id"], "bravo's own thanks")},
    }
    post(world.bot, interaction("view_submission", "UAMARA", "TBRAVO", view=view))
    wait_until(
        lambda: any(a.get("comment") == "bravo's own thanks" for a in new_awards(world.bravo)),
        "Bravo's award",
    )
    assert_untouched(world, before, bravo_gives=True)
    assert not [c for c in world.alpha.calls.all()[before.alpha_calls :] if c.route in WRITES]
    tokens = {c.token for c in world.slack.calls[before.slack_calls :] if c.token}
    assert tokens == {world.tokens[BRAVO]}


def test_bravo_lists_and_home_show_nothing_of_alpha(world: World, before: Before) -> None:
    answers = [
        command(world.bot, text, user, "TBRAVO", f"list-{n}").text
        for n, (text, user) in enumerate(
            [("pending", "UOLIVER"), ("mine", "ULIAM"), ("top", "UOLIVER"), ("export", "UOLIVER")]
        )
    ]
    world.bot.wait_idle()
    answers.append(json.dumps(home(world.bot, "UOLIVER", "TBRAVO")))
    answers += [json.dumps(c.args) for c in world.slack.calls[before.slack_calls :]]
    answers += [b.decode(errors="replace") for b in world.slack.uploads.values()]
    assert any("awards given through badgebot" in a for a in answers)  # the export ran
    for secret in (SECRET_COMMENT, world.held, world.made, world.quantive_id):
        assert not [a for a in answers if secret in a], secret
    assert_untouched(world, before)


@pytest.mark.parametrize(
    "ids",
    [
        {"team": {"id": "talpha"}},  # malformed
        {"team": {"id": "TALPHA' OR 1=1"}, "user": {"id": "UMARIA", "team_id": "TALPHA"}},
        {"team": {"id": "TALPHA"}, "enterprise": {"id": "EBRAVO"}},  # mixed, not org-wide
        {"team": {"id": "TALPHA"}, "enterprise": {"id": "EBRAVO"}, "is_enterprise_install": True},
        {"team": {"id": "TBRAVO"}, "enterprise": {"id": "EBRAVO"}, "is_enterprise_install": True},
        {"team": {"id": "TNOBODY"}},  # no installation
        {"team": {"id": "TALPHA"}, "enterprise": {"id": "e!"}, "is_enterprise_install": True},
    ],
)
def test_requests_with_bad_or_mixed_ids_decide_nothing_for_alpha(
    world: World, before: Before, ids: dict[str, Any]
) -> None:
    # Alpha's own approver's id, in a request whose workspace ids are wrong.
    payload = interaction(
        "block_actions",
        "UMARIA",
        "TALPHA",
        response_url=world.slack.response_url("mixed"),
        actions=[{"action_id": "approve_award", "value": world.held, "type": "button"}],
    )
    post(world.bot, {**payload, **ids})
    assert_untouched(world, before)
    for text in said(world, before):
        assert SECRET_COMMENT not in text and "Visionary" not in text


@pytest.mark.parametrize("where", ["view", "team"])
def test_bravo_admin_cannot_connect_alpha_to_another_quantive(
    world: World, before: Before, where: str
) -> None:
    values = {
        "region": {"region": {"type": "static_select", "selected_option": {"value": "custom"}}},
        "url": {"url": {"type": "plain_text_input", "value": world.bravo.url}},  # type: ignore[attr-defined]
        "account": {"account": {"type": "plain_text_input", "value": "acct-bravo"}},
        "token": {"token": {"type": "plain_text_input", "value": BRAVO_QT}},
    }
    view: dict[str, Any] = {"id": f"VCON-{where}", "type": "modal", "callback_id": CONNECT_MODAL}
    view["state"] = {"values": values}
    payload = interaction("view_submission", "UOLIVER", "TBRAVO", view=view)
    payload.pop("enterprise"), payload.pop("is_enterprise_install")
    if where == "view":  # the form names Alpha; the payload's team is Bravo
        view.update(team_id="TALPHA", app_installed_team_id="TALPHA")
    else:  # the payload's team is Alpha; its user is Bravo's (a Slack Connect guest)
        payload["team"] = {"id": "TALPHA"}
    answer = post(world.bot, payload)
    # Either way the request is Alpha's (Bolt reads a view's team from the view) and its
    # user Bravo's: refused before any check, whatever the user's rights at home.
    assert answer.json()["errors"] == {"token": "Only people of this workspace can connect it."}
    assert not world.slack.calls_of("views.update")

    async def connection(store: Store) -> Any:
        return await store.for_workspace(ALPHA).connection()

    assert world.bot.query(connection).account_id == "acct-alpha"
    assert_untouched(world, before, as_alpha=True)


def test_a_failing_workspace_does_not_stop_the_others_round(world: World, before: Before) -> None:
    """Alpha's Quantive answers 503 and Slack revoked Alpha's token: Bravo's queued post
    still goes out, with Bravo's token, in the worker's round."""
    world.alpha.faults.set("*", Fault(status=503))
    world.slack.revoked.add(world.tokens[ALPHA])

    async def queue(store: Store) -> None:
        for key in (ALPHA, BRAVO):
            post = {"kind": "post", "channel": f"C{key[7:]}-ROUND", "text": "queued"}
            await store.for_workspace(key).enqueue_chat("slack", "round", post, delay=0, error="t")

    try:
        world.bot.query(queue)
        sent = world.slack.wait_calls(
            "chat.postMessage", where=lambda a: a.get("channel") == "CBRAVO-ROUND"
        )
        assert sent
        wait_until(
            lambda: any(c.method == "chat.postMessage:revoked" for c in world.slack.calls),
            "Alpha's post to be refused",
        )
        bravo_posts = [
            c.token for c in world.slack.calls if c.args.get("channel") == "CBRAVO-ROUND"
        ]
        assert set(bravo_posts) == {world.tokens[BRAVO]}
    finally:
        world.alpha.faults.clear()
        world.slack.revoked.clear()


def test_no_token_email_or_comment_reaches_the_logs(world: World, trap: list[str]) -> None:
    """Runs last: every log record of the module so far, grepped for secrets."""
    emails = [u["email"] for u in world.alpha.state.users.values() if u.get("email")]
    emails += [urllib.parse.quote(e) for e in emails]  # as a URL's query carries them
    secrets = [ALPHA_QT, BRAVO_QT, *world.tokens.values(), SECRET_COMMENT, *emails]
    assert trap  # the app logged something, so the grep means something
    for secret in secrets:
        assert not [line for line in trap if secret.lower() in line.lower()], secret
