"""The weekly recap as Block Kit: the twin of handlers/teams/recap_cards.py. People are
named, never mentioned, so the recap notifies nobody."""

from __future__ import annotations

from dataclasses import dataclass

from bot.recap import Recap
from handlers.slack.block_limits import SECTION_TEXT, Block, fit_fallback, fit_mrkdwn
from handlers.slack.mrkdwn import escape, escape_within, quote


@dataclass(frozen=True)
class RecapMessage:
    """A rendered recap: its notification text and its blocks."""

    text: str
    blocks: list[Block]


def recap_title(recap: Recap) -> str:
    """ "This week's recognition: 7 awards"."""
    return f"This week's recognition: {recap.awards} award{'s' if recap.awards != 1 else ''}"


def names_text(names: list[str], limit: int = SECTION_TEXT - 100) -> str:
    """Names, escaped and joined, within ``limit`` after escaping."""
    return fit_mrkdwn(", ".join(escape(n) for n in names), limit)


def recap_blocks(recap: Recap) -> list[Block]:
    """Header, badges with counts, who was recognised, and the newest comments."""
    since = recap.week_start.strftime("%a %d %b")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": recap_title(recap)[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Since {since}."}]},
    ]
    if not recap.awards:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "No awards this week."}}
        )
        return blocks
    badges = "\n".join(f"• *{escape_within(name, 200)}* — {n}" for name, n in recap.per_badge[:30])
    blocks.append(
        {"type": "section", "text": {"type": "mrkdwn", "text": fit_mrkdwn(badges, SECTION_TEXT)}}
    )
    recognised = []
    if recap.people:
        recognised.append(f"*People:* {names_text(recap.people, 1800)}")
    if recap.teams:
        recognised.append(f"*Teams:* {names_text(recap.teams, 900)}")
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(recognised)}})
    for giver, badge, comment in recap.comments:
        header = f"*{escape_within(giver, 100)}* for *{escape_within(badge, 100)}*:"
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{header}\n{quote(comment, 600)}"},
            }
        )
    return blocks


def recap_message(recap: Recap) -> RecapMessage:
    """The recap with its fallback text (escaped, no names)."""
    return RecapMessage(fit_fallback(escape(recap_title(recap))), recap_blocks(recap))
