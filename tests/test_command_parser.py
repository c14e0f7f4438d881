"""The ``/badge`` text parser, with examples and hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.slack.command_parser import UserGroupRef, parse_command


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
