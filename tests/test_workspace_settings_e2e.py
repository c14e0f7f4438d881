"""End to end: an admin changes the workspace's settings from the Home tab, over signed
requests to the running app (single-workspace mode: the workspace "default"), and the
bot behaves differently from the next request on, without a restart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.emulator import Emulator
from bot.store import Store
from tests.fake_slack import FakeSlack, blocks_are_valid
from tests.harness import APPROVERS, BotHarness

OPEN, MODAL = "workspace_settings_open", "workspace_settings"


@pytest.fixture(scope="module")
def module_bot(
    emulator_server: Emulator,
    slack_server: FakeSlack,
    migrated_sqlite: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotHarness]:
    """The app, started once for the module over a database of its own."""
    path = tmp_path_factory.mktemp("settings") / "bot.db"
    shutil.copyfile(migrated_sqlite, path)
    harness = BotHarness(emulator_server, slack_server, f"sqlite:///{path}").start()
    yield harness
    harness.stop()


@pytest.fixture
def bot(module_bot: BotHarness, emulator: Emulator, slack: FakeSlack) -> Iterator[BotHarness]:
    """The module's app with fresh fakes; the settings go back to the environment's after
    each test, through the form itself."""
    yield module_bot
    module_bot.wait_idle()
    module_bot.submit(form(module_bot), defaults(), user="UMARIA")
    module_bot.wait_idle()
    assert stored(module_bot) == {}


def stored(bot: BotHarness) -> dict[str, Any]:
    async def read(store: Store) -> dict[str, Any]:
        return await store.workspace_settings()

    return bot.query(read)


def form(bot: BotHarness, user: str = "UMARIA") -> dict[str, Any]:
    """Click "Change settings" and return the modal that opened."""
    before = len(bot.slack.calls_of("views.open"))
    bot.click(OPEN, "settings", user)
    opened = bot.slack.wait_calls("views.open", count=before + 1)[-1]
    return opened["view"]


def values(
    *,
    approvers: list[str],
    admins: list[str] | None = None,
    digest_channels: list[str] | None = None,
    digest_time: str = "09:00",
    limit: str = "",
) -> dict[str, Any]:
    """The state Slack sends for the settings modal, filled in so."""

    def option(value: str) -> dict[str, Any]:
        return {"selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}

    return {
        "badge_approvers": {"badge_approvers": {"selected_users": approvers}},
        "badge_admins": {"badge_admins": {"selected_users": admins or []}},
        "badge_approval": {"badge_approval": option("quantive")},
        "badge_approval_channel": {"badge_approval_channel": {"selected_conversation": None}},
        "badge_announce_channel": {"badge_announce_channel": {"selected_conversation": None}},
        "digest_channels": {"digest_channels": {"selected_conversations": digest_channels or []}},
        "digest_time": {"digest_time": {"selected_time": digest_time}},
        "digest_days": {"digest_days": option("mon-fri")},
        "digest_timezone": {"digest_timezone": {"value": "UTC"}},
        "recap_channels": {"recap_channels": {"selected_conversations": []}},
        "recap_day": {"recap_day": option("fri")},
        "recap_clock": {"recap_clock": {"selected_time": "16:00"}},
        "recap_timezone": {"recap_timezone": {"value": None}},
        "badge_give_limit": {"badge_give_limit": {"value": limit}},
        "badge_give_limit_exempt": {"badge_give_limit_exempt": {"selected_users": []}},
    }


def defaults() -> dict[str, Any]:
    return values(approvers=APPROVERS)


def approves_in_pending(bot: BotHarness, user: str, key: str) -> bool:
    """Whether ``/badge pending`` offers ``user`` the approve buttons."""
    bot.command("pending", user=user, response_key=key)
    [answer] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == key)
    return any(b["type"] == "actions" for b in answer.get("blocks") or [])


def test_an_admin_changes_settings_and_they_apply_from_the_next_request(
    bot: BotHarness,
) -> None:
    assert approves_in_pending(bot, "UOLIVER", "before-oliver")
    assert not approves_in_pending(bot, "USOFIA", "before-sofia")

    modal = form(bot)
    assert modal["callback_id"] == MODAL and blocks_are_valid(modal["blocks"])
    approvers = next(b for b in modal["blocks"] if b["block_id"] == "badge_approvers")
    assert approvers["element"]["type"] == "multi_users_select"
    assert approvers["element"]["initial_users"] == APPROVERS
    digest = next(b for b in modal["blocks"] if b["block_id"] == "digest_channels")
    assert digest["element"]["filter"]["include"] == ["public"]
    assert digest["element"]["default_to_current_conversation"] is False

    answer = bot.submit(
        modal,
        values(
            approvers=["UMARIA", "USOFIA"],
            admins=["UMARIA"],
            digest_channels=["CHR"],
            limit="2/week",
        ),
        user="UMARIA",
    )
    assert answer.status_code == 200 and answer.json()["response_action"] == "update"
    bot.wait_idle()
    assert stored(bot) == {
        "badge_approvers": ["UMARIA", "USOFIA"],
        "badge_admins": ["UMARIA"],
        "digest_channels": ["CHR"],
        "badge_give_limit": "2/week",
    }
    [saved] = bot.slack.wait_calls("views.update")
    assert "Saved" in str(saved["view"]["blocks"])

    # The admin's Home tab shows the new values, people as mentions, defaults marked.
    [home] = bot.slack.wait_calls("views.publish", where=lambda c: c["user_id"] == "UMARIA")
    blocks = home["view"]["blocks"]
    assert blocks_are_valid(blocks[:50]) and blocks_are_valid(blocks[-5:]) and len(blocks) <= 100
    text = str(blocks)
    assert "*Approvers:* <@UMARIA>, <@USOFIA>" in text and "*Digest channels:* <#CHR>" in text
    assert "*Give limit:* 2/week" in text and "*Digest time:* 09:00 _(default)_" in text

    # In effect from the next request: Oliver no longer approves, Sofia does.
    assert not approves_in_pending(bot, "UOLIVER", "after-oliver")
    assert approves_in_pending(bot, "USOFIA", "after-sofia")


def test_invalid_time_and_limit_show_field_errors_and_store_nothing(bot: BotHarness) -> None:
    answer = bot.submit(
        form(bot), values(approvers=APPROVERS, digest_time="25:00", limit="lots"), user="UMARIA"
    ).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"digest_time", "badge_give_limit"}
    assert "HH:MM" in answer["errors"]["digest_time"]
    assert "5/week" in answer["errors"]["badge_give_limit"]
    answer = bot.submit(form(bot), values(approvers=[]), user="UMARIA").json()
    assert "at least one approver" in answer["errors"]["badge_approvers"]
    bot.wait_idle()
    assert stored(bot) == {}
    assert bot.slack.calls_of("views.update") == []


def test_a_non_admins_forged_submission_changes_nothing(bot: BotHarness) -> None:
    refused = form(bot, user="USOFIA")  # the button of an old Home tab: told, no form
    assert "Only badge admins" in str(refused["blocks"]) and "callback_id" not in refused

    forged = {"type": "modal", "callback_id": MODAL, "blocks": []}
    answer = bot.submit(forged, values(approvers=["USOFIA"], admins=["USOFIA"]), "USOFIA")
    body = answer.json()
    assert body["response_action"] == "errors"
    assert "Only badge admins" in body["errors"]["badge_approvers"]
    bot.wait_idle()
    assert stored(bot) == {}
    assert not approves_in_pending(bot, "USOFIA", "forged")
