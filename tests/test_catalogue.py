"""Matching badge names in what people type."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from api.emulator.state import load_demo_data
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


@pytest.mark.parametrize(
    ("text", "typed", "suggestion"),
    [
        ("Team Plyer thanks", "Team Plyer", "Team Player"),  # not Team, nor "Plyer thanks"
        ("Tem Player thanks", "Tem Player", "Team Player"),  # quotes the name, not the comment
        ("TeamPlayer thanks", "TeamPlayer", "Team Player"),
        ("Goal Crushr, well done", "Goal Crushr", "Goal Crusher"),
        ("Visonary for the plan", "Visonary", "Visionary"),
    ],
)
def test_a_near_miss_is_suggested_and_swallows_no_words(
    text: str, typed: str, suggestion: str
) -> None:
    found = match_badge(BADGES, text)
    assert found.badge is None
    assert found.suggestions[0] == suggestion and found.typed == typed


def test_punctuation_after_a_name_is_not_part_of_the_comment() -> None:
    found = match_badge(BADGES, "Team Player, thanks for pairing")
    assert found.badge is not None and found.badge.id == "1"
    assert found.rest == "thanks for pairing"


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


DEMO = [Badge(id=str(i), name=b["name"]) for i, b in enumerate(load_demo_data()["badges"])]
comments = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Z")), max_size=12).map(
    str.strip
)


@given(st.sampled_from(DEMO), st.lists(comments, max_size=4).map(" ".join), st.booleans())
def test_every_name_is_read_whole_before_its_comment(
    badge: Badge, comment: str, loud: bool
) -> None:
    """The longest name first: a comment is never read as part of the name, nor a word of
    the name as part of the comment, whatever the comment and the case."""
    name = badge.name.upper() if loud else badge.name
    found = match_badge(DEMO, f"{name} {comment}")
    assert found.badge == badge and found.rest == comment.strip()


@st.composite
def typos(draw: st.DrawFn) -> tuple[Badge, str]:
    """A demo badge's name with one letter of one word of 4 or more letters mistyped
    (changed, dropped or doubled): a typo a person makes."""
    badge = draw(st.sampled_from([b for b in DEMO if any(len(w) >= 4 for w in b.name.split())]))
    words = badge.name.split()
    at = draw(st.sampled_from([i for i, w in enumerate(words) if len(w) >= 4]))
    word = words[at]
    i = draw(st.integers(0, len(word) - 1))
    edit = draw(st.sampled_from(["change", "drop", "double"]))
    if edit == "change":
        letter = draw(st.sampled_from([c for c in "aeioustrnl" if c != word[i].lower()]))
        word = word[:i] + letter + word[i + 1 :]
    elif edit == "drop":
        word = word[:i] + word[i + 1 :]
    else:
        word = word[:i] + word[i] + word[i:]
    return badge, " ".join([*words[:at], word, *words[at + 1 :]])


@given(typos(), st.sampled_from(["thanks", "great work on the launch", ""]))
def test_a_typo_in_any_word_of_a_name_is_suggested_never_given(typo, comment: str) -> None:
    badge, mistyped = typo
    assume(all(mistyped.lower() != b.name.lower() for b in DEMO))
    found = match_badge(DEMO, f"{mistyped} {comment}")
    if found.badge is not None:
        # Only a typo that still begins the name, in its first and only word, is read by
        # the first-word rule ("Rockstr" is Rockstar): then nothing is swallowed.
        assert found.badge == badge and len(badge.name.split()) == 1
        assert badge.name.lower().startswith(mistyped.lower()) and found.rest == comment
        return
    assert badge.name in found.suggestions
    assert found.typed == mistyped
