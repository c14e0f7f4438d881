"""The digest card: a heading with the count, then each award oldest first with its
Approve and Reject buttons; the twin of handlers/slack/digest_blocks.py."""

from __future__ import annotations

from datetime import datetime

from bot.awards import Award, truncate
from bot.digest import age_text, count_text
from handlers.teams.cards import (
    Card,
    Element,
    award_sentence,
    card,
    decision_actions,
    decision_line,
    heading,
    note,
    rich,
    run,
)

#: Awards one card shows: Teams refuses activities over about 28 KB, and each award with
#: its comment, buttons and reason box takes up to about 1.5 KB.
MAX_DIGEST_ITEMS = 15
COMMENT_LIMIT = 400


def digest_item_container(
    award: Award,
    now: datetime | None = None,
    *,
    with_buttons: bool = True,
    source: str = "digest",
) -> Element:
    """One award: who gave what to whom, its age and comment, then buttons or decision."""
    items: list[Element] = [
        award_sentence(award, "gave"),
        rich(run(f"waiting {age_text(award.assigned_on, now)}", italic=True, subtle=True)),
    ]
    if award.comment:
        items.append(rich(run(f"“{truncate(' '.join(award.comment.split()), COMMENT_LIMIT)}”")))
    if not award.waiting:
        items.append(decision_line(award))
    elif with_buttons:
        items.append(
            {"type": "ActionSet", "actions": decision_actions(award.assignment_id, source)}
        )
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def digest_card(
    views: list[Award],
    total: int,
    now: datetime | None = None,
    *,
    with_buttons: bool = True,
    title: str | None = None,
    source: str = "digest",
) -> Card:
    """The whole digest for ``views`` (already cut to what fits) out of ``total`` waiting."""
    body: list[Element] = [heading(title or count_text(total))]
    for award in views[:MAX_DIGEST_ITEMS]:
        body.append(digest_item_container(award, now, with_buttons=with_buttons, source=source))
    hidden = total - min(len(views), MAX_DIGEST_ITEMS)
    if hidden > 0:
        body.append(
            note(f"…and {hidden} more, oldest shown first. Send **pending** to see them all.")
        )
    return card(body)
