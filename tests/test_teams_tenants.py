"""handlers.teams.tenants and handlers.teams.connect without a server: which tenant an
activity names, and the connect card's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.connections import ConnectionRow
from bot.identity import ChatProfile
from bot.regions import REGIONS
from handlers.teams.connect import CONNECT_VERB, connect_card, connected_card, identity_of
from handlers.teams.tenants import activity_workspace
from tests.teams_client import nodes, texts

GUID = "7D2F9A10-3B4C-4D5E-8F60-718293A4B5C6"
OTHER = "3c9e5b21-6d7f-4a80-9b1c-2d3e4f506172"


def activity(channel: Any = None, conversation: Any = None) -> dict[str, Any]:
    shaped: dict[str, Any] = {"conversation": {"id": "a:x"}, "channelData": {}}
    if channel is not None:
        shaped["channelData"]["tenant"] = {"id": channel}
    if conversation is not None:
        shaped["conversation"]["tenantId"] = conversation
    return shaped


@pytest.mark.parametrize(
    "channel,conversation,expected",
    [
        (GUID, GUID, f"teams:{GUID.lower()}"),
        (GUID, None, f"teams:{GUID.lower()}"),
        (None, OTHER, f"teams:{OTHER}"),
        (GUID, GUID.lower(), f"teams:{GUID.lower()}"),  # the same tenant, in either case
        (GUID, OTHER, None),  # two tenants: not an activity Teams sends
        (None, None, None),
        ("", "", None),
        ("acme", None, None),
        (GUID, "acme", None),
        (7, None, None),
        (f"{GUID}/../x", None, None),
    ],
)
def test_the_activity_names_one_tenant_or_none(channel, conversation, expected) -> None:
    assert activity_workspace(activity(channel, conversation)) == expected


def test_odd_shapes_name_no_tenant() -> None:
    assert activity_workspace({}) is None
    assert activity_workspace({"channelData": "x", "conversation": []}) is None
    assert activity_workspace({"channelData": {"tenant": "x"}}) is None


def test_the_connect_card_never_carries_a_token_and_keeps_the_other_fields() -> None:
    values = {"region": "custom", "url": "https://q.example/api/v1", "account": "acct1"}
    content = connect_card("Quantive refused the token.", values)
    inputs = {n["id"]: n for n in nodes(content) if "id" in n}
    assert inputs["token"]["style"] == "password" and "value" not in inputs["token"]
    assert inputs["region"]["value"] == "custom" and inputs["url"]["value"] == values["url"]
    assert [c["value"] for c in inputs["region"]["choices"]] == [r.name for r in REGIONS] + [
        "custom"
    ]
    [button] = content["actions"]
    assert button["verb"] == button["data"]["action"] == CONNECT_VERB
    assert "Quantive refused the token." in texts(content)
    # A problem quoting typed text is a run (plain text), never markdown.
    problem = next(n for n in nodes(content) if n.get("type") == "RichTextBlock")
    assert "refused" in problem["inlines"][0]["text"]


def test_an_unknown_region_falls_back_to_the_first() -> None:
    inputs = {n["id"]: n for n in nodes(connect_card(values={"region": "mars"})) if "id" in n}
    assert inputs["region"]["value"] == REGIONS[0].name


def test_the_result_card_names_host_and_account_only() -> None:
    row = ConnectionRow(
        workspace="teams:x",
        quantive_url=REGIONS[1].url,
        account_id="acct1",
        token_encrypted="gAAAA-secret",
        token_last4="ab12",
        connected_by="someone",
        checked_at=0.0,
        updated_at=0.0,
    )
    shown = json.dumps(connected_card(row))
    assert "app.us.quantive.com (us)" in shown and "acct1" in shown
    assert "gAAAA" not in shown and "ab12" not in shown


def test_who_connects_is_listed_by_email_else_object_id() -> None:
    with_email = ChatProfile(
        user_id="29:x", name="X", email="X@Acme.example", platform="teams", aliases=()
    )
    assert identity_of(with_email) == "x@acme.example"
    without = ChatProfile(user_id="29:x", name="X", email=None, platform="teams", aliases=("aad",))
    assert identity_of(without) == "aad"
    nobody = ChatProfile(user_id="29:x", name="X", email=None, platform="teams", aliases=())
    assert identity_of(nobody) is None
