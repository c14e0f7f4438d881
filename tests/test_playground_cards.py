"""The playground's Adaptive Card renderer: every element the bot uses, and escaping."""

from __future__ import annotations

from playground.card_render import card_to_html
from playground.teams_tenant import TeamsTenant, demo_teams_people
from playground.teams_view import to_teams_message


def test_every_element_the_bot_uses_renders_and_text_is_escaped() -> None:
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "**Bold** <script>x</script>"},
            {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "**not bold** <b>"}]},
            {"type": "FactSet", "facts": [{"title": "give", "value": "<i>x</i>"}]},
            {
                "type": "ColumnSet",
                "columns": [{"type": "Column", "items": [{"type": "TextBlock", "text": "left"}]}],
            },
            {"type": "Image", "url": "javascript:alert(1)", "altText": "x"},
            {"type": "Image", "url": "https://example.com/i.png", "altText": "icon"},
            {"type": "Container", "items": [{"type": "TextBlock", "text": "inside"}]},
            {"type": "Input.Text", "id": "reason", "isMultiline": True, "value": "</textarea>"},
            {
                "type": "Input.ChoiceSet",
                "id": "people",
                "isMultiSelect": True,
                "choices": [],
                "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"},
            },
        ],
        "actions": [
            {"type": "Action.Execute", "title": "Approve", "verb": "approve", "data": {"a": 1}},
            {
                "type": "Action.ShowCard",
                "title": "Reject",
                "card": {"type": "AdaptiveCard", "body": [{"type": "Input.Text", "id": "why"}]},
            },
        ],
    }
    html = card_to_html(card, [("aad-liam", "Liam <Chen>")], "m1")
    assert "<b>Bold</b>" in html and "<script>" not in html
    assert "**not bold** &lt;b&gt;" in html  # runs are never markdown
    assert "&lt;i&gt;x&lt;/i&gt;" in html and "left" in html and "inside" in html
    assert "javascript:" not in html and 'src="https://example.com/i.png"' in html
    assert "&lt;/textarea&gt;" in html
    assert 'value="aad-liam">Liam &lt;Chen&gt;</option>' in html  # the people picker
    assert 'data-verb="approve"' in html and 'data-show="sc-m1-a-1"' in html
    assert card_to_html(card, [], "m1") == card_to_html(card, [], "m1")  # stable ids


def test_typed_mentions_become_at_tags_with_entities() -> None:
    tenant = TeamsTenant(demo_teams_people([]))
    text, entities = to_teams_message("@badgebot give @liam <b>Mentor</b> @nobody", tenant)
    assert text == ("<at>badgebot</at> give <at>Liam Chen</at> &lt;b&gt;Mentor&lt;/b&gt; @nobody")
    assert [e["mentioned"]["id"] for e in entities][1] == "29:liam"


def test_a_typed_tag_is_a_tag_mention_and_unknown_words_stay_text() -> None:
    tenant = TeamsTenant(demo_teams_people([]))
    text, entities = to_teams_message("give @platform Visionary", tenant)
    assert text == "give <at>Platform</at> Visionary"
    [entity] = entities
    assert entity["mentioned"]["type"] == "tag" and entity["mentioned"]["name"] == "Platform"
    assert not entity["mentioned"]["id"].startswith("29:")


def test_the_badge_form_and_the_export_render_as_teams_shows_them() -> None:
    from playground.teams_api import FILE_CONSENT_VERB, _content
    from playground.teams_files import consent_value

    form = {
        "type": "AdaptiveCard",
        "body": [
            {
                "type": "Input.ChoiceSet",
                "id": "icon",
                "value": "rocket",
                "choices": [
                    {"title": "🚀 rocket", "value": "rocket"},
                    {"title": "x", "value": "x"},
                ],
            }
        ],
        "actions": [
            {"type": "Action.OpenUrl", "title": "Download", "url": "https://b.example/d.csv"},
            {"type": "Action.OpenUrl", "title": "Bad", "url": "javascript:alert(1)"},
        ],
    }
    html = card_to_html(form, [], "m2")
    assert '<option value="rocket" selected>' in html and '<option value="x">' in html
    assert 'href="https://b.example/d.csv"' in html and "javascript:" not in html

    consent = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.teams.card.file.consent",
                "name": "badgebot-awards-all.csv",
                "content": {
                    "description": "3 awards <b>",
                    "acceptContext": {"export": "all"},
                    "declineContext": {"export": "all"},
                },
            }
        ],
    }
    _, card = _content(consent)
    drawn = card_to_html(card, [], "m3")
    assert "badgebot-awards-all.csv" in drawn and "3 awards &lt;b&gt;" in drawn
    allow = card["actions"][0]
    assert allow["verb"] == FILE_CONSENT_VERB and allow["data"]["answer"] == "accept"
    value = consent_value(allow["data"], "http://127.0.0.1:1/teams/files")
    assert value["action"] == "accept" and value["context"] == {"export": "all"}
    assert (
        value["uploadInfo"]["uploadUrl"] == "http://127.0.0.1:1/teams/files/badgebot-awards-all.csv"
    )
    assert "uploadInfo" not in consent_value(card["actions"][1]["data"], "http://x")
