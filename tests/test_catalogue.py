"""Matching badge names in what people type."""

from __future__ import annotations

import pytest

from api.models import Badge
from bot.catalogue import match_badge

BADGES = [
    Badge(id="1", name="Team Player"),
    Badge(id="2", name="Team"),
    Badge(id="3", name="Visionary"),
    Badge(id="4", name="Go-Getter"),
    Badge(id="5", name="Goal Crusher"),
]


@pytest.mark.parametrize(
    ("text", "badge_id", "rest"),
    [
        ("team player great pairing", "1", "great pairing"),  # longest name wins
        ("TEAM thanks", "2", "thanks"),
        ("Visionary", "3", ""),
        ('"team player" yes', "1", "yes"),
        ("“Visionary” for the plan", "3", "for the plan"),
        ("vision thanks", "3", "thanks"),  # unambiguous prefix
        ("go-getter fast", "4", "fast"),
    ],
)
def test_matches(text: str, badge_id: str, rest: str) -> None:
    found = match_badge(BADGES, text)
    assert found.badge is not None and found.badge.id == badge_id
    assert found.rest == rest


def test_ambiguous_prefix_lists_candidates() -> None:
    found = match_badge(BADGES, "go nice")
    assert found.badge is None and set(found.suggestions) == {"Go-Getter", "Goal Crusher"}


def test_unknown_suggests_near_names() -> None:
    found = match_badge(BADGES, "Visionry for the plan")
    assert found.badge is None and found.suggestions == ["Visionary"]


def test_nothing_matches_nothing() -> None:
    assert match_badge(BADGES, "").badge is None
    assert match_badge(BADGES, "zzz").suggestions == []


async def test_a_badge_made_elsewhere_is_found_at_once(quantive, emulator, monkeypatch) -> None:
    """Another bot process (or Quantive's UI) made it: a miss reloads, not a TTL later."""
    import bot.catalogue
    from api.models import BadgeInput
    from bot.catalogue import Catalogue

    catalogue = Catalogue(quantive, ttl=3600)
    assert (await catalogue.match("Stargazer thanks")).badge is None  # loaded, not there
    made = await quantive.create_badge(BadgeInput(name="Stargazer", summary="d"))
    loads = emulator.calls.count("GET /badges")
    assert (await catalogue.match("Stargazer thanks")).badge is None  # list is fresh: no load
    assert emulator.calls.count("GET /badges") == loads
    monkeypatch.setattr(bot.catalogue, "MISS_RELOAD_SECONDS", 0.0)
    found = await catalogue.match("Stargazer thanks")
    assert found.badge is not None and found.badge.id == made.id and found.rest == "thanks"
    assert emulator.calls.count("GET /badges") == loads + 1
    assert (await catalogue.by_id(made.id)) is not None
