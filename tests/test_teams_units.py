"""Teams pieces on their own: the message parser, the card text rules, the connector's
retries and refusals (against a local fake connector over HTTP)."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.awards import Award, Party
from handlers.teams import cards
from handlers.teams.command_parser import TagMention, parse_message
from handlers.teams.connector import ConnectorError, TeamsConnector


def activity(text: str, *mentions: tuple[str, str]) -> dict:
    return {
        "text": text,
        "recipient": {"id": "28:bot"},
        "entities": [
            {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": i, "name": name}}
            for i, name in mentions
        ],
    }


def test_a_channel_give_drops_the_bots_mention_and_reads_people() -> None:
    parsed = parse_message(
        activity(
            "<p><at>badgebot</at> give <at>Maria</at> and <at>Liam</at> "
            "&quot;Team Player&quot; thanks <at>Sofia</at>&nbsp;!</p>",
            ("28:bot", "badgebot"),
            ("29:maria", "Maria"),
            ("29:liam", "Liam"),
            ("29:sofia", "Sofia"),
        )
    )
    assert parsed.verb == "give"
    assert [u.user_id for u in parsed.users] == ["29:maria", "29:liam"]
    assert parsed.rest == '"Team Player" thanks Sofia !'  # later mentions are plain names


def test_shorthand_channels_and_other_verbs() -> None:
    short = parse_message(activity("<at>Maria</at> Visionary", ("29:maria", "Maria")))
    assert short.verb == "give" and short.shorthand and short.rest == "Visionary"
    channel = parse_message(activity("give <at>General</at> Mentor", ("19:general", "General")))
    assert channel.channels == ["General"] and channel.users == []
    assert parse_message(activity("  PENDING  ")).verb == "pending"
    assert parse_message(activity("")).verb == ""


def test_a_tag_mention_is_read_by_its_name_and_its_id_kept_for_graph() -> None:
    tagged = activity(
        "<at>badgebot</at> give <at>Platform</at> and <at>Maria</at> Visionary, "
        "ask <at>Design</at>",
        ("28:bot", "badgebot"),
        ("29:maria", "Maria"),
    )
    # Teams' tag ids are base64, with "/" no person's id has: kept for Graph (which the
    # bot percent-encodes), never taken for a person.
    for name in ("Platform", "Design"):
        tagged["entities"].append(
            {
                "type": "mention",
                "text": f"<at>{name}</at>",
                "mentioned": {"id": "MjY1/NjA=", "name": name, "type": "tag"},
            }
        )
    parsed = parse_message(tagged)
    assert parsed.tags == [TagMention("Platform", "MjY1/NjA=")]
    assert [u.user_id for u in parsed.users] == ["29:maria"]
    assert parsed.rest == "Visionary, ask Design"  # a later tag is a plain name


def test_a_tag_id_no_graph_path_can_hold_is_dropped_and_the_name_kept() -> None:
    for bad in ("../../users", "a b", "x?$select=*", "", "A" * 600):
        tagged = activity("give <at>Platform</at> Visionary")
        tagged["entities"].append(
            {
                "type": "mention",
                "text": "<at>Platform</at>",
                "mentioned": {"id": bad, "name": "Platform", "type": "tag"},
            }
        )
        assert parse_message(tagged).tags == [TagMention("Platform", None)], bad


def test_card_text_breaks_at_tags_and_never_uses_markdown() -> None:
    view = Award(
        assignment_id="64d000000000000000000009",
        badge_id="b",
        badge_name="**Star** <at>x</at>",
        giver=Party(name="[Eve](https://evil.example)"),
        recipients=[Party(name="Liam")],
        comment="<AT>Maria</AT> " + "x" * 5000,
    )
    content = cards.approval_request_card(view)
    raw = json.dumps(content, ensure_ascii=False)
    assert "<at>" not in raw.lower()
    text_blocks = [b for b in content["body"] if b["type"] == "TextBlock"]
    assert text_blocks == []  # every line with outside text is a RichTextBlock
    assert len(raw) < 28_000
    assert cards.plain("a" * 3000, 100).endswith("…") and len(cards.plain("a" * 3000, 100)) == 100


def connector_app(answers: list[httpx.Response], seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.MockTransport(handler)


async def token() -> str:
    return "t0ken"


async def test_the_connector_retries_429_and_5xx_then_succeeds() -> None:
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(502),
        httpx.Response(201, json={"id": "activity-1"}),
    ]
    http = httpx.AsyncClient(transport=connector_app(answers, seen))
    connector = TeamsConnector(token, "app", http=http, retry_base=0.001)  # type: ignore[arg-type]
    assert await connector.send("https://smba.example/", "a:1", {"type": "message"}) == "activity-1"
    assert len(seen) == 3 and seen[0].headers["authorization"] == "Bearer t0ken"
    assert str(seen[0].url) == "https://smba.example/v3/conversations/a:1/activities"


async def test_a_403_is_a_certain_refusal_and_not_retried() -> None:
    seen: list[httpx.Request] = []
    http = httpx.AsyncClient(transport=connector_app([httpx.Response(403)], seen))
    connector = TeamsConnector(token, "app", http=http)  # type: ignore[arg-type]
    with pytest.raises(ConnectorError) as caught:
        await connector.create_personal("https://smba.example", "tenant", "29:x")
    assert caught.value.unreachable and caught.value.certain and len(seen) == 1
    assert json.loads(seen[0].content)["members"] == [{"id": "29:x"}]


async def test_a_lost_answer_to_a_send_is_not_repeated() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        raise httpx.ReadTimeout("no answer", request=request)

    connector = TeamsConnector(
        token,  # type: ignore[arg-type]
        "app",
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(ConnectorError) as caught:
        await connector.send("https://smba.example", "a:1", {"type": "message"})
    assert not caught.value.certain and len(seen) == 1  # it may have arrived: no repeat
