"""The playground's Block Kit and mrkdwn rendering, and its typed-text conversion."""

from __future__ import annotations

from playground.app import to_slack_text
from playground.render import blocks_to_html, mrkdwn_to_html
from playground.workspace import Workspace, demo_people


def test_script_in_a_comment_shows_as_text() -> None:
    rendered = mrkdwn_to_html(">&lt;script&gt;alert(1)&lt;/script&gt; &amp; more")
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in rendered
    assert rendered.startswith('<span class="quote">')


def test_mrkdwn_styles_mentions_and_links() -> None:
    names = {"U1": "maria"}.get
    rendered = mrkdwn_to_html(
        "*bold* _it_ `code` <@U1> <#C1|general> <!channel> "
        "<https://x.example/a?b=1&amp;c=2|the link> :tada:",
        lambda u: names(u) or u,
    )
    assert "<b>bold</b>" in rendered and "<i>it</i>" in rendered
    assert "<code>code</code>" in rendered
    assert ">@maria<" in rendered and ">#general<" in rendered and "broadcast" in rendered
    assert 'href="https://x.example/a?b=1&amp;c=2"' in rendered and ">the link</a>" in rendered
    assert "🎉" in rendered


def test_javascript_links_are_not_links() -> None:
    rendered = mrkdwn_to_html("<javascript:alert(1)|click>")
    assert "<a " not in rendered


def test_blocks_render_buttons_with_confirm_and_inputs_with_errors() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "<b>Hi</b>"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "x"},
            "fields": [{"type": "mrkdwn", "text": "*a*"}],
            "accessory": {"type": "image", "alt_text": "logo", "image_url": "http://i"},
        },
        {
            "type": "actions",
            "block_id": "b1",
            "elements": [
                {
                    "type": "button",
                    "action_id": "go",
                    "value": 'v"1',
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Go"},
                    "confirm": {"text": {"type": "plain_text", "text": "Sure?"}},
                }
            ],
        },
        {
            "type": "input",
            "block_id": "who",
            "label": {"type": "plain_text", "text": "Who"},
            "element": {
                "type": "multi_users_select",
                "action_id": "users",
                "initial_users": ["U2"],
            },
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "plain_text", "text": "c"}]},
    ]
    rendered = blocks_to_html(
        blocks, people=[("U1", "Ann"), ("U2", "Bo")], errors={"who": "Pick someone"}
    )
    assert "&lt;b&gt;Hi&lt;/b&gt;" in rendered
    assert 'data-action="go"' in rendered and 'data-value="v&quot;1"' in rendered
    assert "data-confirm=" in rendered and 'class="btn danger"' in rendered
    assert '<option value="U2" selected>Bo</option>' in rendered
    assert "Pick someone" in rendered and "[logo]" in rendered and "<hr>" in rendered


def test_typed_mentions_become_slack_references() -> None:
    workspace = Workspace(demo_people(["UMARIA"]))
    text = to_slack_text("give @liam @platform @here #general Rockstar <3 & more", workspace)
    assert text == (
        "give <@ULIAM|liam> <!subteam^SPLATFORM|@platform> <!here> "
        "<#CGENERAL|general> Rockstar &lt;3 &amp; more"
    )
