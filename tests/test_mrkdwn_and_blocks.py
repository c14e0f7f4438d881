"""Escaping, mention flattening, and the Block Kit builders."""

from __future__ import annotations

from bot.awards import Award, Decider, Party
from handlers.slack import blocks
from handlers.slack.mrkdwn import escape, plain_mentions


def test_escape_only_three_characters() -> None:
    assert escape("<!channel> & <b> 'q' \"d\"") == "&lt;!channel&gt; &amp; &lt;b&gt; 'q' \"d\""


def test_plain_mentions() -> None:
    text = "hi <@U1|bob> <@U2> <#C1|general> <!subteam^S1|@ops> <!here> <http://x|y> &amp; &lt;"
    assert (
        plain_mentions(text, {"U2": "ann"}) == "hi @bob @ann #general @ops @here y (http://x) & <"
    )


def view(**changes) -> Award:
    base = Award(
        assignment_id="a1",
        badge_id="b1",
        badge_name="Rock <star>",
        badge_icon="star",
        giver=Party(name="Amara", chat_user_id="UAMARA"),
        recipients=[
            Party(name="Liam", chat_user_id="ULIAM"),
            Party(name="R&D <team>", is_team=True),
        ],
        comment="<!channel> thanks",
    )
    return base.model_copy(update=changes)


def test_pending_request_has_buttons_and_escapes_everything() -> None:
    built = blocks.approval_request_blocks(view())
    text = built[0]["text"]["text"]
    assert "<@UAMARA> wants to give :star2: *Rock &lt;star&gt;*" in text
    assert "*R&amp;D &lt;team&gt;*" in text and "&lt;!channel&gt; thanks" in text
    assert built[-1]["type"] == "actions"
    assert [e["value"] for e in built[-1]["elements"]] == ["a1", "a1"]


def test_decided_request_has_no_buttons() -> None:
    built = blocks.approval_request_blocks(
        view(status="rejected", decided_by=Decider(chat_user_id="UMARIA"), reason="a <b>")
    )
    assert all(b["type"] != "actions" for b in built)
    assert "Rejected by <@UMARIA>: a &lt;b&gt;" in str(built)


def test_unknown_icon_gets_default_emoji() -> None:
    assert blocks.badge_emoji("unicorn") == blocks.DEFAULT_EMOJI


def test_give_modal_limits() -> None:
    modal = blocks.give_modal(channel_id="C1", comment="x" * 5000, notice="<!channel>")
    assert len(modal["title"]["text"]) <= 24
    comment = next(b for b in modal["blocks"] if b.get("block_id") == "comment")
    assert len(comment["element"]["initial_value"]) == 1000
    assert "&lt;!channel&gt;" in str(modal["blocks"][0])
