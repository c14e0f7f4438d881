"""The ``/badge`` text parser, with examples and hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.emulator.state import load_demo_data
from api.models import Badge
from bot.catalogue import match_badge
from handlers.slack.command_parser import UserGroupRef, parse_command
from handlers.teams.command_parser import parse_message


def test_give_with_mentions_and_rest() -> None:
    parsed = parse_command("give <@U1|maria> <@U2> Team Player great <@U3|bob> pairing")
    assert parsed.verb == "give"
    assert parsed.users == ["U1", "U2"]
    assert parsed.user_labels == {"U1": "maria"}
    assert parsed.rest == "Team Player great <@U3|bob> pairing"


def test_shorthand_and_separators() -> None:
    parsed = parse_command("<@U1|a>, <@U2|b> and <@U3> Visionary")
    assert parsed.verb == "give" and parsed.users == ["U1", "U2", "U3"]
    assert parsed.rest == "Visionary"


def test_groups_channels_broadcasts() -> None:
    parsed = parse_command("give <!subteam^S12|@platform> <#C1|general> <!here> Rockstar")
    assert parsed.groups == [UserGroupRef("S12", "platform")]
    assert parsed.channels == ["C1"] and parsed.broadcasts == ["here"]
    assert parsed.rest == "Rockstar"


def test_other_verbs_keep_their_arguments() -> None:
    parsed = parse_command("Digest here")
    assert parsed.verb == "digest" and parsed.rest == "here" and parsed.users == []
    assert parse_command("   ").verb == ""


def test_repeated_mention_counts_once() -> None:
    assert parse_command("give <@U1> <@U1|x> Rockstar").users == ["U1"]


user_ids = st.from_regex(r"U[A-Z0-9]{2,10}", fullmatch=True)
labels = st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9._-]{0,15}", fullmatch=True))
rest_text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<>,"),
        max_size=60,
    )
    .map(str.strip)
    .filter(lambda s: not s.lower().startswith("and"))
)


@given(
    st.lists(st.tuples(user_ids, labels), min_size=1, max_size=5, unique_by=lambda t: t[0]),
    rest_text,
    st.booleans(),
)
def test_mentions_then_text_round_trip(mentions, rest, explicit_verb) -> None:
    refs = " ".join(f"<@{u}|{label}>" if label else f"<@{u}>" for u, label in mentions)
    text = f"{'give ' if explicit_verb else ''}{refs} {rest}"
    parsed = parse_command(text)
    assert parsed.verb == "give"
    assert parsed.users == [u for u, _ in mentions]
    assert parsed.rest == rest.strip()


@given(st.text(max_size=200))
def test_never_raises_and_rest_is_a_substring(text) -> None:
    parsed = parse_command(text)
    assert parsed.rest in text


DEMO = [Badge(id=str(i), name=b["name"]) for i, b in enumerate(load_demo_data()["badges"])]
comment_words = st.from_regex(r"[A-Za-z][a-z]{0,9}[!.,]?", fullmatch=True)


def teams_give(text: str) -> dict:
    """A Teams message to the bot in a channel: its own mention, then Liam's, then text."""
    return {
        "text": f"<at>badgebot</at> give <at>Liam</at> {text}",
        "recipient": {"id": "28:bot"},
        "entities": [
            {"type": "mention", "text": "<at>badgebot</at>", "mentioned": {"id": "28:bot"}},
            {"type": "mention", "text": "<at>Liam</at>", "mentioned": {"id": "29:liam"}},
        ],
    }


@given(
    st.sampled_from(DEMO),
    st.sampled_from(["typed", "swapped case"]),
    st.lists(comment_words, max_size=6).map(" ".join),
)
def test_both_parsers_leave_the_name_and_comment_whole(badge, case, comment) -> None:
    """What follows the mentions, read by the catalogue: the badge named, then exactly the
    comment (the longest name first, so no word moves from one to the other)."""
    name = badge.name if case == "typed" else badge.name.swapcase()
    for rest in (
        parse_command(f"give <@ULIAM|liam> {name} {comment}").rest,
        parse_message(teams_give(f"{name} {comment}")).rest,
    ):
        found = match_badge(DEMO, rest)
        assert found.badge == badge and found.rest == comment


@given(st.sampled_from([b for b in DEMO if " " in b.name]), st.data())
def test_both_parsers_suggest_a_name_with_a_word_left_out(badge, data) -> None:
    """A name typed with one word dropped ("Above Beyond", "Team thanks" aside): either the
    shorter name is itself a badge's, or nothing is given and the name is suggested."""
    words = badge.name.split()
    dropped = data.draw(st.integers(1, len(words) - 1))  # the first word stays
    typed = " ".join(words[:dropped] + words[dropped + 1 :])
    for rest in (
        parse_command(f"give <@ULIAM|liam> {typed} for the launch").rest,
        parse_message(teams_give(f"{typed} for the launch")).rest,
    ):
        found = match_badge(DEMO, rest)
        if found.badge is not None:  # "Team" alone begins one name: Team Player, unharmed
            assert found.badge == badge
            continue
        assert badge.name in found.suggestions
