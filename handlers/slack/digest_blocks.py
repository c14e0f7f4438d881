"""The digest message: a header with the count, then each award oldest first, each with
its Approve and Reject buttons, within Slack's 50-block limit."""

from __future__ import annotations

from datetime import datetime

from bot.awards import Award
from bot.digest import age_text, count_text
from handlers.slack.blocks import Block, award_sentence, decision_buttons, decision_text
from handlers.slack.mrkdwn import quote

MAX_MESSAGE_BLOCKS = 50
#: Header, two blocks per award, and the "N more" footer fit within 50 blocks.
MAX_DIGEST_ITEMS = (MAX_MESSAGE_BLOCKS - 2) // 2
COMMENT_LIMIT = 400

__all__ = ["age_text", "count_text", "digest_blocks", "digest_item_blocks"]


def digest_item_blocks(award: Award, now: datetime | None = None) -> list[Block]:
    """One award: who gave what to whom, its age and comment, then buttons or decision."""
    text = award_sentence(award, "gave")
    text += f"\n_waiting {age_text(award.assigned_on, now)}_"
    if award.comment:
        text += "\n" + quote(" ".join(award.comment.split()), COMMENT_LIMIT)
    section: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if award.waiting:
        return [section, decision_buttons(award.assignment_id, f"digest-{award.assignment_id}")]
    return [
        section,
        {"type": "context", "elements": [{"type": "mrkdwn", "text": decision_text(award)}]},
    ]


def digest_blocks(views: list[Award], total: int, now: datetime | None = None) -> list[Block]:
    """The whole digest for ``views`` (already cut to what fits) out of ``total`` waiting."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": count_text(total)[:150]}}
    ]
    for award in views[:MAX_DIGEST_ITEMS]:
        blocks += digest_item_blocks(award, now)
    hidden = total - min(len(views), MAX_DIGEST_ITEMS)
    if hidden > 0:
        more = f"…and {hidden} more, oldest shown first. Run `/badge pending` to see them all."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return blocks
