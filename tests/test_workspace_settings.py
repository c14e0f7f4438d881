"""The settings admins change per workspace: each value checked by the startup's rules,
saved all or nothing, and applied at once, in the single-workspace mode too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from bot.store import Store
from bot.workspace_services import Workspaces
from bot.workspace_settings import (
    EDITABLE,
    USE_DEFAULT,
    check,
    current_values,
    editable_for,
    save,
    validate,
)
from bot.workspaces import DEFAULT_WORKSPACE

ENV = {
    "slack_bot_token": "xoxb-test",
    "quantive_api_token": "token",
    "quantive_account_id": "acct",
    "badge_approvers": ["UMARIA", "UOLIVER"],
    "digest_time": "09:00",
}


@pytest.fixture
async def workspaces(database_url: str) -> AsyncIterator[Workspaces]:
    store = Store(database_url)
    workspaces = Workspaces(Settings(database_url=database_url, **ENV), store)
    yield workspaces
    await workspaces.aclose()
    await store.aclose()


def test_every_editable_setting_is_a_settings_field() -> None:
    assert {e.name for e in EDITABLE} <= set(Settings.model_fields)


@pytest.mark.parametrize(
    ("name", "value", "clean"),
    [
        ("badge_approvers", ["UMARIA", " UOLIVER ", "UMARIA"], ["UMARIA", "UOLIVER"]),
        ("badge_approvers", "UMARIA, UOLIVER", ["UMARIA", "UOLIVER"]),
        ("badge_give_limit_exempt", ["UAMARA", "ceo@acme.example"], ["UAMARA", "ceo@acme.example"]),
        ("digest_channels", ["CHR", "GPRIVATE"], ["CHR", "GPRIVATE"]),
        ("digest_channels", None, []),
        ("badge_approval_channel", "CAPPROVALS", "CAPPROVALS"),
        ("badge_approval_channel", "", None),
        ("digest_time", " 7:30 ", "7:30"),
        ("recap_time", "FRI   16:00", "fri 16:00"),
        ("digest_timezone", "Europe/Berlin", "Europe/Berlin"),
        ("recap_timezone", "", None),
        ("digest_days", "Mon-Fri", "mon-fri"),
        ("badge_give_limit", "5 / Week", "5/week"),
        ("badge_give_limit", "  ", None),
        ("badge_approval", "bot", "bot"),
    ],
)
def test_valid_values_come_back_clean(name: str, value: object, clean: object) -> None:
    assert validate(name, value) == (clean, None)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("badge_approvers", ["maria"], "Approvers must hold Slack user ids"),
        ("badge_approvers", [1], "must be a list"),
        ("digest_channels", ["general"], "Digest channels must be channels"),
        ("badge_announce_channel", "#general", "Announce channel must be a channel"),
        ("digest_time", "25:00", "Digest time must be HH:MM"),
        ("digest_time", "", "Digest time cannot be empty"),
        ("recap_time", "friday 16:00", "Recap day and time must be a weekday and HH:MM"),
        ("digest_timezone", "Mars/Olympus", "Digest time zone must be an IANA name"),
        ("digest_days", "weekdays!", "Digest days must be a cron day-of-week"),
        ("badge_give_limit", "lots", "Give limit must look like 5/week"),
        ("badge_give_limit", "0/day", "Give limit must look like 5/week"),
        ("badge_approval", "anyone", "Approval mode must be one of: quantive, bot"),
        ("slack_bot_token", "xoxb-1", "not a setting admins can change"),
    ],
)
def test_invalid_values_are_named_by_their_label(name: str, value: object, words: str) -> None:
    clean, problem = validate(name, value)
    assert clean is None and problem is not None and words in problem


def test_the_startup_check_and_the_form_share_one_rule() -> None:
    """The same bad time is refused by both, in the same words bar the name."""
    startup = Settings(**{**ENV, "digest_time": "25:00"}).problems_for("playground")
    _, form = validate("digest_time", "25:00")
    assert "DIGEST_TIME must be HH:MM, e.g. 09:00 (got '25:00')." in startup
    assert form == "Digest time must be HH:MM, e.g. 09:00 (got '25:00')."


def test_nobody_approving_or_an_admin_locking_themself_out_is_refused() -> None:
    env = Settings(**ENV)
    _, problems = check({"badge_approvers": []}, env, env, by="UMARIA")
    assert "at least one approver" in problems["badge_approvers"]
    _, problems = check({"badge_approvers": ["UOLIVER"]}, env, env, by="UMARIA")
    assert "Keep yourself" in problems["badge_approvers"]  # admins are the approvers here
    _, problems = check({"badge_admins": ["UOLIVER"]}, env, env, by="UMARIA")
    assert "Keep yourself" in problems["badge_admins"]
    clean, problems = check(
        {"badge_admins": ["UMARIA"], "digest_time": "10:00"}, env, env, "UMARIA"
    )
    assert problems == {} and clean == {"badge_admins": ["UMARIA"], "digest_time": "10:00"}


async def test_save_stores_changes_clears_defaults_and_applies_them(
    workspaces: Workspaces,
) -> None:
    store = workspaces.store
    before = await workspaces.services(DEFAULT_WORKSPACE)
    assert before.permissions.can_approve("UMARIA") and not before.permissions.can_approve("USOFIA")
    problems = await save(
        store,
        workspaces,
        DEFAULT_WORKSPACE,
        {
            "badge_approvers": ["UMARIA", "USOFIA"],
            "digest_time": "09:00",  # the environment's: nothing to store
            "badge_give_limit": "3/week",
        },
        by="UMARIA",
    )
    assert problems == []
    assert await store.workspace_settings() == {
        "badge_approvers": ["UMARIA", "USOFIA"],
        "badge_give_limit": "3/week",
    }
    after = await workspaces.services(DEFAULT_WORKSPACE)  # forgotten: rebuilt at once
    assert after is not before and after.permissions.can_approve("USOFIA")
    assert after.settings.badge_give_limit == "3/week"
    assert after.settings_editor is not None and after.settings_editor.key == DEFAULT_WORKSPACE
    assert await workspaces.services("slack:TOTHER") is after  # one workspace, whatever key

    shown = {c.editable.name: c for c in await current_values(store, workspaces, "default")}
    assert shown["badge_give_limit"].value == "3/week" and not shown["badge_give_limit"].is_default
    assert shown["digest_time"].value == "09:00" and shown["digest_time"].is_default

    assert (
        await save(store, workspaces, "default", {"badge_give_limit": USE_DEFAULT}, "UMARIA") == []
    )
    assert (
        await save(
            store, workspaces, "default", {"badge_approvers": ENV["badge_approvers"]}, "UMARIA"
        )
        == []
    )
    assert await store.workspace_settings() == {}


async def test_an_invalid_change_stores_nothing(workspaces: Workspaces) -> None:
    said = await save(
        workspaces.store,
        workspaces,
        DEFAULT_WORKSPACE,
        {"badge_approvers": ["USOFIA", "UMARIA"], "digest_time": "9am", "badge_give_limit": "x"},
        by="UMARIA",
    )
    assert len(said) == 2 and "Digest time" in said[0] and "Give limit" in said[1]
    assert await workspaces.store.workspace_settings() == {}


async def test_single_mode_services_follow_the_store_within_the_ttl(database_url: str) -> None:
    """Another process's change is seen once the TTL has passed; an unchanged read keeps
    the same services (no rebuild, no new HTTP clients)."""
    store = Store(database_url)
    workspaces = Workspaces(Settings(database_url=database_url, **ENV), store, ttl=0.0)
    try:
        first = await workspaces.services(DEFAULT_WORKSPACE)
        assert await workspaces.services(DEFAULT_WORKSPACE) is first
        await store.set_workspace_setting("badge_approval", "bot", "UMARIA")
        second = await workspaces.services(DEFAULT_WORKSPACE)
        assert second is not first and second.settings.badge_approval == "bot"
        assert (await workspaces.settings_for("anything")).badge_approval == "bot"
    finally:
        await workspaces.aclose()
        await store.aclose()


TEAMS_ENV = {**ENV, "teams_approvers": ["maria.garcia@acme.example", "aad-oliver"]}
GUID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


def test_each_platform_edits_its_own_names_and_shares_the_rest() -> None:
    slack = {e.name for e in editable_for("slack")}
    teams = {e.name for e in editable_for("teams")}
    assert {"teams_approvers", "teams_admins", "teams_approval_conversation"} <= teams - slack
    assert {"badge_approvers", "badge_approval_channel", "digest_channels"} <= slack - teams
    shared = {"digest_time", "recap_time", "badge_give_limit", "badge_approval"}
    assert shared <= slack & teams


@pytest.mark.parametrize(
    ("name", "value", "clean", "words"),
    [
        (
            "teams_approvers",
            f"Sofia.Rossi@acme.example, {GUID}",
            ["Sofia.Rossi@acme.example", GUID],
            None,
        ),
        ("teams_approvers", "Sofia Rossi", None, "Approvers must be emails or Entra object ids"),
        ("teams_approvers", "<at>Sofia</at>", None, "must be emails or Entra object ids"),
        ("teams_approval_conversation", " 19:abc_1@thread.tacv2 ", "19:abc_1@thread.tacv2", None),
        ("teams_approval_conversation", "", None, None),
        ("teams_announce_conversation", "General", None, "must be a Teams conversation id"),
        ("teams_announce_conversation", "19:x@thread.tacv2;messageid=1", None, "conversation id"),
        ("badge_give_limit_exempt", [GUID, "UAMARA"], [GUID, "UAMARA"], None),
    ],
)
def test_teams_values_follow_their_rules(
    name: str, value: object, clean: object, words: str | None
) -> None:
    got, problem = validate(name, value)
    if words is None:
        assert problem is None and got == clean
    else:
        assert got is None and problem is not None and words in problem


def test_a_teams_list_sent_back_unchanged_keeps_entries_no_rule_would_take() -> None:
    env = Settings(**TEAMS_ENV)
    unchanged = {"teams_approvers": "maria.garcia@acme.example, aad-oliver"}
    clean, problems = check(
        unchanged, env, env, "maria.garcia@acme.example", platform="teams", aliases=("29:maria",)
    )
    assert problems == {} and clean["teams_approvers"] == [
        "maria.garcia@acme.example",
        "aad-oliver",
    ]
    _, problems = check({"teams_approvers": "aad-sofia"}, env, env, platform="teams")
    assert "Entra object ids" in problems["teams_approvers"]


def test_teams_admins_keep_someone_approving_and_themselves_in() -> None:
    env = Settings(**TEAMS_ENV)
    saver = {"by": "maria.garcia@acme.example", "platform": "teams", "aliases": (GUID,)}
    _, problems = check({"teams_approvers": ""}, env, env, **saver)
    assert "at least one approver" in problems["teams_approvers"]
    _, problems = check({"teams_approvers": "sofia.rossi@acme.example"}, env, env, **saver)
    assert "Keep yourself" in problems["teams_approvers"]
    other = GUID.replace("0f1e", "aaaa")
    _, problems = check({"teams_admins": other}, env, env, **saver)
    assert "Keep yourself" in problems["teams_admins"]
    # By object id counts as much as by email; Slack's lists are not Teams' to change.
    _, problems = check({"teams_admins": GUID}, env, env, **saver)
    assert problems == {}
    _, problems = check({"badge_approvers": ["UMARIA"]}, env, env, **saver)
    assert "not a setting admins can change here" in problems["badge_approvers"]
