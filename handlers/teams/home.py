"""The ``home`` card: the Teams counterpart of Slack's App Home. Your badges, your requests
waiting and, for approvers, the queue with buttons; a Refresh button redraws it, and so
does a decision made anywhere else (:func:`refresh_homes`), as Slack republishes its Home
tabs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from api import errors
from api.models import Assignment
from bot.awards import Award
from bot.digest import count_text
from bot.identity import ChatProfile
from bot.store import ConversationRef
from handlers.teams import cards
from handlers.teams.cards import HOME_VERB, Card, Element, run
from handlers.teams.connector import ConnectorError
from handlers.teams.context import TeamsContext
from handlers.teams.digest_cards import digest_item_container
from handlers.teams.directory import Sender

log = logging.getLogger(__name__)

#: Awards of the approver queue a home card shows (the card's size limit).
HOME_QUEUE_ITEMS = 10
#: The summary Teams shows for a home card in notifications and the chat list.
HOME_SUMMARY = "Your badgebot home"


@dataclass(frozen=True)
class HomeCard:
    """Where a person's home card was last shown, so that it can be redrawn in place:
    their 1:1 chat and the message's id."""

    who: Sender
    ref: ConversationRef
    activity_id: str


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
    return cards.card(body, [cards.execute_action("Refresh", HOME_VERB)])


async def home_card(
    ctx: TeamsContext, profile: ChatProfile, pending: list[Assignment] | None = None
) -> Card:
    """Read Quantive and build one person's home card; ``pending`` saves reading the
    queue again when several cards are redrawn at once."""
    services = ctx.services
    holdings: list[list[Element]] = []
    own: list[Award] = []
    queue: list[Award] | None = None
    total = 0
    try:
        found, _ = await services.identities.resolve([profile])
        if pending is None:
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


def remember_home(ctx: TeamsContext, who: Sender, ref: ConversationRef, activity_id: str) -> None:
    """Keep where ``who``'s home card is, for :func:`refresh_homes`. Only a 1:1 chat's:
    redrawn for everyone, a card in a channel would show one person's queue to all."""
    if ref.kind == "personal" and activity_id:
        ctx.homes[who.user_id] = HomeCard(who, ref, activity_id)


async def refresh_homes(ctx: TeamsContext, award: Award) -> None:
    """Redraw the home cards that show this award: the giver's, the recipients' and the
    approvers' (the twin of handlers.slack.home.refresh_homes). Each stands alone: a card
    that cannot be updated (deleted, the chat gone) is forgotten, not retried."""
    involved = {award.giver.chat_user_id, *(r.chat_user_id for r in award.recipients)}
    pending: list[Assignment] | None = None
    read = False
    for home in list(ctx.homes.values()):
        profile = await ctx.directory.profile(home.who, home.ref)
        approver = ctx.services.permissions.can_approve(
            profile.user_id, platform="teams", aliases=profile.aliases
        )
        if home.who.user_id not in involved and not approver:
            continue
        if not read:  # the queue, once for every card redrawn (as Slack's refresh_homes)
            read = True
            try:
                pending = await ctx.services.awards.pending()
            except errors.QuantiveError:
                pending = None  # each card reads it again, and says if Quantive is away
        message = cards.card_message(await home_card(ctx, profile, pending), HOME_SUMMARY)
        try:
            await ctx.notifier.update(home.ref.conversation_id, home.activity_id, message)
        except ConnectorError as exc:
            log.info("could not redraw a Teams home card: %s", exc)
            if exc.unreachable:  # the message or the chat is gone: stop trying it
                ctx.homes.pop(home.who.user_id, None)
