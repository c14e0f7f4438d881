"""The settings' Slack blocks: the Home summary, the modal, and reading it back."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from bot.workspace_settings import EDITABLE, Current, editable_for, validate
from handlers.slack.settings_blocks import (
    field_errors,
    form_changes,
    settings_form,
    settings_summary_blocks,
)
from tests.fake_slack import blocks_are_valid


def current(**changes: Any) -> list[Current]:
    settings = Settings(badge_approvers=["UMARIA"]).model_copy(update=changes)
    return [Current(e, getattr(settings, e.name), e.name not in changes) for e in EDITABLE]


def test_the_summary_mentions_people_links_channels_and_escapes_the_rest() -> None:
    blocks = settings_summary_blocks(
        current(
            badge_approval_channel="CAPPROVALS",
            badge_give_limit_exempt=["<!channel>@acme.example"],
            digest_days="<b>&",
        )
    )
    assert blocks_are_valid(blocks)
    text = str(blocks)
    assert "*Approvers:* <@UMARIA> _(default)_" in text
    assert "*Admins:* the approvers _(default)_" in text
    assert "*Approval channel:* <#CAPPROVALS>" in text and "<#CAPPROVALS> _(default)_" not in text
    assert "&lt;!channel&gt;@acme.example" in text and "<!channel>" not in text
    assert "&lt;b&gt;&amp;" in text
    assert "*Give limit:* no limit _(default)_" in text


def test_the_summary_of_many_people_stays_within_the_section_limit() -> None:
    many = [f"U{i:08d}" for i in range(400)]
    blocks = settings_summary_blocks(current(badge_approvers=many, badge_admins=many))
    assert blocks_are_valid(blocks)


def test_the_form_is_valid_prefilled_and_reads_back_what_it_shows() -> None:
    now = current(
        digest_channels=["CHR"],
        digest_time="7:30",
        digest_days="mon,wed",
        recap_time="thu 11:15",
        badge_give_limit="5/week",
    )
    modal = settings_form(now, problem="Something <odd>")
    assert blocks_are_valid(modal["blocks"]) and len(modal["blocks"]) <= 100
    assert "&lt;odd&gt;" in str(modal["blocks"][0])
    by_id = {b.get("block_id"): b for b in modal["blocks"]}
    assert by_id["digest_time"]["element"]["initial_time"] == "07:30"
    assert by_id["digest_days"]["element"]["initial_option"]["value"] == "mon,wed"
    assert by_id["recap_day"]["element"]["initial_option"]["value"] == "thu"
    assert by_id["badge_approval_channel"]["element"]["default_to_current_conversation"] is False

    # What Slack sends back for the untouched form: each initial value as its selection.
    state: dict[str, Any] = {}
    for block_id, block in by_id.items():
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind == "multi_users_select":
            read = {"selected_users": element.get("initial_users", [])}
        elif kind == "multi_conversations_select":
            read = {"selected_conversations": element.get("initial_conversations", [])}
        elif kind == "conversations_select":
            read = {"selected_conversation": element.get("initial_conversation")}
        elif kind == "timepicker":
            read = {"selected_time": element["initial_time"]}
        elif kind == "static_select":
            read = {"selected_option": element["initial_option"]}
        else:
            read = {"value": element.get("initial_value")}
        state[block_id] = {block_id: read}
    changes = form_changes({"state": {"values": state}})
    assert set(changes) == {e.name for e in editable_for("slack")}  # Teams' are Teams'
    shown = {c.editable.name: c.value for c in now}
    for name, value in changes.items():
        clean, problem = validate(name, value)
        assert problem is None
        expected = "07:30" if name == "digest_time" else shown[name]
        assert clean == expected, name


def test_a_missing_input_is_left_unchanged_and_errors_land_on_their_blocks() -> None:
    assert form_changes({"state": {"values": {}}}) == {}
    assert field_errors({"recap_time": "bad", "digest_time": "worse"}) == {
        "recap_clock": "bad",
        "digest_time": "worse",
    }
