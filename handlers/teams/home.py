"""The ``home`` card: the Teams counterpart of Slack's App Home. Your badges, your requests
waiting and, for approvers, the queue with buttons; a Refresh button redraws it."""

from __future__ import annotations

from api import errors
from bot.awards import Award
from bot.digest import count_text
from bot.identity import ChatProfile
from handlers.teams import cards
from handlers.teams.cards import HOME_VERB, Card, Element, run
from handlers.teams.context import TeamsContext
from handlers.teams.digest_cards import digest_item_container

#: Awards of the approver queue a home card shows (the card's size limit).
HOME_QUEUE_ITEMS = 10


def home_body(
    holdings: list[list[Element]],
    own_waiting: list[Award],
    queue: list[Award] | None,
    queue_total: int = 0,
) -> Card:
    """The home card from what was read; the twin of handlers.slack.home.home_blocks."""
    body: list[Element] = [cards.heading("Your badges")]
    body += [cards.rich(*line) for line in holdings] or [
        cards.note("You don't hold any badges yet.")
    ]
    body.append(cards.heading("Your requests waiting for approval"))
    if own_waiting:
        body += [digest_item_container(v, with_buttons=False) for v in own_waiting[:10]]
        if len(own_waiting) > 10:
            body.append(cards.note(f"…and {len(own_waiting) - 10} more."))
    else:
        body.append(cards.note("Nothing waiting."))
    if queue is not None:
        body.append(cards.heading(count_text(queue_total)))
        body += [digest_item_container(v, source="home") for v in queue[:HOME_QUEUE_ITEMS]]
        if queue_total > len(queue[:HOME_QUEUE_ITEMS]):
            more = queue_total - len(queue[:HOME_QUEUE_ITEMS])
            body.append(cards.note(f"…and {more} more; send “pending” to list them."))
        if not queue:
            body.append(cards.note("Nothing to approve. ✨"))
    refresh = {
        "type": "Action.Execute",
        "title": "Refresh",
        "verb": HOME_VERB,
        "data": {"action": HOME_VERB},
    }
    return cards.card(body, [refresh])


async def home_card(ctx: TeamsContext, profile: ChatProfile) -> Card:
    """Read Quantive and build one person's home card."""
    services = ctx.services
    holdings: list[list[Element]] = []
    own: list[Award] = []
    queue: list[Award] | None = None
    total = 0
    try:
        found, _ = await services.identities.resolve([profile])
        pending = await services.awards.pending()
        if profile.user_id in found:
            quantive_id = found[profile.user_id].quantive_user_id
            for holding in await services.holdings.holdings_of(quantive_id):
                via = (
                    [run(f" (through {holding.via_team})", italic=True)] if holding.via_team else []
                )
                holdings.append(
                    [
                        run(f"{cards.badge_character(holding.badge.icon)} "),
                        run(holding.badge.name, bold=True),
                        *via,
                    ]
                )
            own = await ctx.digest.views_for(
                [a for a in pending if a.assigned_by_id == quantive_id]
            )
        else:
            holdings.append([run("I can't find you in Quantive by your email address.")])
        if services.permissions.can_approve(
            profile.user_id, platform="teams", aliases=profile.aliases
        ):
            total = len(pending)
            queue = await ctx.digest.views_for(pending[:HOME_QUEUE_ITEMS])
    except errors.QuantiveError as exc:
        holdings = [[run(f"Quantive is unavailable right now: {exc.user_message}")]]
    return home_body(holdings, own, queue, total)
