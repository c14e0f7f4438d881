"""The reference document's sample bodies parse into the models."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from api.models import Assignment, AssignRequest, Badge, BadgeHolders, BadgeInput

FIXTURES = Path(__file__).parent / "fixtures" / "quantive"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize("name", ["list_badges.response.json"])
def test_badge_list_sample_parses(name: str) -> None:
    badge = Badge.model_validate(load(name)["items"][0])
    assert badge.name == "string value" and badge.icon == "string value"


@pytest.mark.parametrize("name", ["get_badge.response.json", "create_badge.response.json"])
def test_single_badge_samples_parse(name: str) -> None:
    assert Badge.model_validate(load(name)).id == "string value"


@pytest.mark.parametrize(
    "name",
    [
        "pending_approvals.response.json",
        "my_assignments.response.json",
        "current_badges.response.json",
    ],
)
def test_assignment_list_samples_parse(name: str) -> None:
    item = Assignment.model_validate(load(name)["items"][0])
    assert item.assignee_ids == ["string value 1", "string value 2"]
    assert item.assigned_by_id == "string value"
    assert item.badge_id == "string value"  # filled from the embedded badge where needed


def test_assign_response_sample_parses() -> None:
    item = Assignment.model_validate(load("assign_badge.response.json"))
    assert item.rich_text_comment == "string value"


def test_holders_sample_reduces_users_and_teams() -> None:
    holders = BadgeHolders.model_validate(load("badge_holders.response.json"))
    assert len(holders.users) == 1 and len(holders.teams) == 1
    assert holders.users[0].email == "string value"
    assert holders.teams[0].badges[0].name == "string value"
    assert not hasattr(holders.users[0], "user_settings")


def test_request_samples_round_trip_with_camel_case() -> None:
    assign = AssignRequest.model_validate(load("assign_badge.request.json"))
    assert assign.to_wire() == load("assign_badge.request.json")
    badge = BadgeInput.model_validate(load("badge.request.json"))
    assert badge.to_wire() == load("badge.request.json")


def test_unknown_status_counts_as_pending_and_is_logged(caplog) -> None:
    item = Assignment.model_validate({"id": "a1", "status": "awaitingHR"})
    with caplog.at_level(logging.WARNING):
        assert item.state == "pending"
    assert "awaitingHR".lower() in caplog.text


def test_known_status_is_case_insensitive() -> None:
    assert Assignment.model_validate({"id": "a1", "status": "Approved"}).state == "approved"


def test_user_accepts_mongo_id_key() -> None:
    from api.models import User

    user = User.model_validate({"_id": "u1", "firstName": "Ada", "lastName": "L"})
    assert user.id == "u1" and user.display_name == "Ada L"
