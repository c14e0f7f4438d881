"""The commands people write to the bot in Teams (its 1:1 chat, or @badgebot in a channel
or group chat): the twins of handlers/slack/commands/. Each answers after Teams got its
200, so a slow Quantive never delays the acknowledgement."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from api import errors
from bot.awards import truncate
from bot.catalogue import BadgeMatch
from bot.holdings import Ranked
from bot.leaderboard import board_for, parse_period
from bot.store.digests import Subscription
from handlers.teams import cards
from handlers.teams.admin import delete_command, revoke_command
from handlers.teams.badge_editor import create_command, edit_command
from handlers.teams.cards import Element, run
from handlers.teams.command_parser import TeamsCommand, parse_message
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.digest_cards import MAX_DIGEST_ITEMS, digest_card
from handlers.teams.export import export_command
from handlers.teams.give_flow import answer_giver, give
from handlers.teams.help_card import help_card
from handlers.teams.home import HOME_SUMMARY, home_card, remember_home
from handlers.teams.settings import settings_command
from handlers.teams.wording import unknown_badge_text

Command = Callable[[TeamsContext, Turn, TeamsCommand], Awaitable[None]]

#: Names listed by ``who`` before "and N more".
WHO_LIMIT = 60


async def on_message(ctx: TeamsContext, turn: Turn) -> None:
    """Dispatch a message on its first word; anything unknown gets help."""
    command = parse_message(turn.activity)
    handler = COMMANDS.get(command.verb)
    if handler is None:
        if command.verb and await _starts_with_badge_name(ctx, command):
            await ctx.reply(
                turn,
                "Who should get it? Mention them first, e.g. “give @Maria "
                f"{command.verb.capitalize()} …”, or use “Give a badge” from the message box.",
            )
            return
        intro = None if command.verb in ("", "hi", "hello") else "I didn't get that."
        content = help_card(intro, multi_tenant=ctx.settings.teams_multi_tenant)
        await ctx.say(turn, cards.card_message(content, "badgebot help"))
        return
    await handler(ctx, turn, command)


async def _starts_with_badge_name(ctx: TeamsContext, command: TeamsCommand) -> bool:
    try:
        match = await ctx.services.catalogue.match(f"{command.verb} {command.rest}")
    except errors.QuantiveError:
        return False
    return match.badge is not None


async def give_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Give at once when complete; otherwise say what is missing and how to add it.
    Every answer goes where the giver sees it: typed in a channel, in the channel too."""
    answer = functools.partial(answer_giver, ctx)
    if command.channels:
        await answer(turn, "Badges go to people, not to channels or teams. Mention people.")
        return
    if not command.users and not command.tags:
        await answer(
            turn,
            "Who should get it? Mention them: give @Maria Visionary thanks for the launch. "
            "Or use “Give a badge” from the message box to pick people.",
        )
        return
    unresolved = [w for w in command.rest.split()[:3] if w.startswith("@") and len(w) > 1]
    if unresolved:
        await answer(
            turn,
            f"{', '.join(unresolved)} is not a person I can find. Pick people from the list "
            "Teams shows as you type @, so that they arrive as mentions.",
        )
        return
    match = await _badge(ctx, turn, command.rest, "give @Maria", answer)
    if match is None or match.badge is None:
        return
    users, tags = command.users, command.tags
    await give(ctx, turn, users=users, badge=match.badge, comment=match.rest, tags=tags)


async def _badge(
    ctx: TeamsContext,
    turn: Turn,
    typed: str,
    example: str,
    answer: Callable[[Turn, str], Awaitable[None]] | None = None,
) -> BadgeMatch | None:
    """The badge named at the start of ``typed``, or None after saying what is wrong
    (with ``answer``, else privately)."""
    answer = answer or ctx.reply
    try:
        match = await ctx.services.catalogue.match(typed)
    except errors.QuantiveError as exc:
        await answer(turn, f"I couldn't load the badges. {exc.user_message}")
        return None
    if match.badge is None:
        # Quote what was read as the name (a near miss's words), not the comment after it.
        said = match.typed or typed
        await answer(turn, unknown_badge_text(said, match.suggestions, example))
        return None
    return match


async def list_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """The catalogue: each badge with its character and summary."""
    try:
        badges = await ctx.services.catalogue.badges()
    except errors.QuantiveError as exc:
        await ctx.reply(turn, f"I couldn't load the badges. {exc.user_message}")
        return
    if not badges:
        await ctx.reply(turn, "There are no badges yet. An admin can add them in Quantive.")
        return
    lines = [
        [
            run(f"{cards.badge_character(b.icon)} "),
            run(b.name, bold=True),
            *([run(f" — {truncate(b.summary, 200)}")] if b.summary else []),
        ]
        for b in badges[:100]
    ]
    content = cards.lines_card(f"{len(badges)} badges", lines)
    await ctx.say(turn, cards.card_message(content, f"{len(badges)} badges"))


async def who_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Who holds a badge, by name (a card never pings)."""
    match = await _badge(ctx, turn, command.rest, "who")
    if match is None or match.badge is None:
        return
    try:
        holders = await ctx.services.quantive.badge_holders(match.badge.id)
    except errors.QuantiveError as exc:
        await ctx.reply(turn, f"I couldn't ask Quantive. {exc.user_message}")
        return
    names = [u.display_name for u in holders.users] + [t.name for t in holders.teams]
    if not names:
        await ctx.reply(turn, f"Nobody holds “{match.badge.name}” yet. Be the first to give it!")
        return
    shown = ", ".join(names[:WHO_LIMIT])
    more = f" and {len(names) - WHO_LIMIT} more" if len(names) > WHO_LIMIT else ""
    content = cards.card(
        [
            cards.rich(
                run(f"{cards.badge_character(match.badge.icon)} "),
                run(match.badge.name, bold=True),
                run(f" is held by {len(names)}: "),
            ),
            cards.rich(run(f"{shown}{more}.")),
        ]
    )
    await ctx.say(turn, cards.card_message(content, f"Who holds {match.badge.name}"))


async def mine_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """The badges you hold, or those of the first person mentioned."""
    target = command.users[0] if command.users else turn.sender
    profile = await ctx.directory.profile(target, turn.ref)
    yours = target.user_id == turn.sender.user_id
    try:
        found, missing = await ctx.services.identities.resolve([profile])
        if missing:
            who = "you" if yours else profile.name
            await ctx.reply(turn, f"I can't find {who} in Quantive: {missing[0].reason}.")
            return
        holdings = await ctx.services.holdings.holdings_of(found[target.user_id].quantive_user_id)
    except errors.QuantiveError as exc:
        await ctx.reply(turn, f"I couldn't ask Quantive. {exc.user_message}")
        return
    title = "Your badges" if yours else f"{profile.name}'s badges"
    left = await ctx.services.awards.gives_left(profile) if yours else None
    left_words = f" You have {left}." if left else ""
    if not holdings:
        who = "You hold" if yours else profile.name + " holds"
        await ctx.reply(turn, f"{who} no badges yet.{left_words}")
        return
    lines = [
        [
            run(f"{cards.badge_character(h.badge.icon)} "),
            run(h.badge.name, bold=True),
            *([run(f" (through {h.via_team})", italic=True)] if h.via_team else []),
        ]
        for h in holdings[:100]
    ]
    if left:
        lines.append([run(f"You have {left}.", italic=True)])
    await ctx.say(turn, cards.card_message(cards.lines_card(title, lines), title))


async def pending_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Approvers: everything waiting, with buttons. Others: their own requests waiting."""
    profile = await ctx.directory.profile(turn.sender, turn.ref)
    approver = ctx.services.permissions.can_approve(
        profile.user_id, platform="teams", aliases=profile.aliases
    )
    try:
        pending = await ctx.services.awards.pending()
        if not approver:
            found, missing = await ctx.services.identities.resolve([profile])
            if missing:
                await ctx.reply(turn, f"I can't find you in Quantive: {missing[0].reason}.")
                return
            mine = found[profile.user_id].quantive_user_id
            pending = [a for a in pending if a.assigned_by_id == mine]
        views = await ctx.digest.views_for(pending[:MAX_DIGEST_ITEMS])
    except errors.QuantiveError as exc:
        await ctx.reply(turn, f"I couldn't ask Quantive. {exc.user_message}")
        return
    if not pending:
        await ctx.reply(turn, "Nothing is waiting for approval. ✨")
        return
    title = None if approver else f"{len(pending)} of your badge awards are waiting"
    content = digest_card(views, len(pending), with_buttons=approver, title=title, source="list")
    await ctx.say(turn, cards.card_message(content, "Awards waiting for approval"))


async def top_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """The most recognised people and teams: ``top`` / ``top all`` from Quantive's holders,
    ``top week|month|quarter|year`` from the awards given through the bot then."""
    period = parse_period(command.rest)
    if period is None:
        await ctx.reply(turn, "Which period? top week, month, quarter, year or all.")
        return
    services = ctx.services
    try:
        board = await board_for(
            period, services.store, services.holdings, ZoneInfo(services.settings.digest_timezone)
        )
    except errors.QuantiveError as exc:
        await ctx.reply(turn, f"I couldn't ask Quantive. {exc.user_message}")
        return
    people, teams = board.people, board.teams
    source = cards.note(f"_{board.source}_")
    if not people and not teams:
        when = "yet" if period == "all" else f"this {period}"
        body = [cards.note(f"Nobody has been recognised {when}."), source]
        await ctx.say(turn, cards.card_message(cards.card(body), "Badge leaderboard"))
        return
    title = "Most recognised people" + ("" if period == "all" else f" this {period}")
    body: list[Element] = [cards.heading(title), *_ranks(people, medals=True)]
    if teams:
        body += [cards.heading("Most recognised teams"), *_ranks(teams, medals=False)]
    body.append(source)
    await ctx.say(turn, cards.card_message(cards.card(body), "Badge leaderboard"))


def _ranks(ranked: list[Ranked], *, medals: bool) -> list[Element]:
    # Names from Quantive go into runs: Teams reads markdown in a FactSet's values, so
    # a name like [Reset](https://…) would be a live link there.
    places = ["🥇", "🥈", "🥉"] if medals else []
    return [
        cards.rich(
            run(f"{places[i] if i < len(places) else f'{i + 1}.'} "),
            run(truncate(r.person.name, 200), bold=True),
            run(f" — {r.count}"),
        )
        for i, r in enumerate(ranked)
    ]


#: What ``digest`` and ``recap`` say: what it is, and when it comes.
_POSTS = {
    "digest": ("the approval digest", "every morning", "📬"),
    "recap": ("the weekly recap", "every week", "🎉"),
}


async def digest_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """``digest here`` / ``digest off`` / ``digest``: approvers manage where it goes."""
    await _subscription(ctx, turn, command, "digest")


async def recap_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """``recap here`` / ``recap off`` / ``recap``: approvers choose where the weekly recap
    of recognition goes."""
    await _subscription(ctx, turn, command, "recap")


async def _subscription(
    ctx: TeamsContext, turn: Turn, command: TeamsCommand, post: Subscription
) -> None:
    what, when, icon = _POSTS[post]
    profile = await ctx.directory.profile(turn.sender, turn.ref)
    if not ctx.services.permissions.can_approve(
        profile.user_id, platform="teams", aliases=profile.aliases
    ):
        await ctx.reply(turn, f"Only approvers can manage {what}. Ask one of them.")
        return
    store = ctx.services.store
    conversation = turn.ref.conversation_id
    action = command.rest.lower().strip()
    if action == "here":
        added = await store.subscribe_digest(
            conversation, profile.user_id, platform="teams", post=post
        )
        text = (
            f"{icon} This conversation will get {what} {when}."
            if added
            else f"This conversation already gets {what}."
        )
    elif action == "off":
        removed = await store.unsubscribe_digest(conversation, platform="teams", post=post)
        text = f"Turned off {what} here." if removed else f"This conversation didn't get {what}."
    else:
        subscribed = conversation in await store.digest_subscriptions(platform="teams", post=post)
        settings = ctx.settings
        schedule = (
            f"{settings.digest_time} {settings.digest_timezone}, {settings.digest_days}"
            if post == "digest"
            else f"{settings.recap_time}, {settings.recap_zone}"
        )
        text = (
            f"{what.capitalize()} is {'on' if subscribed else 'off'} here ({schedule}). "
            f"Send “{post} here” or “{post} off”."
        )
    await ctx.say(turn, cards.text_message(text))


async def home_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Your badges, your requests waiting and, for approvers, the queue with buttons."""
    profile = await ctx.directory.profile(turn.sender, turn.ref)
    sent = await ctx.say(turn, cards.card_message(await home_card(ctx, profile), HOME_SUMMARY))
    remember_home(ctx, turn.sender, turn.ref, sent)


async def help_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """Every command."""
    content = help_card(multi_tenant=ctx.settings.teams_multi_tenant)
    await ctx.say(turn, cards.card_message(content, "badgebot help"))


COMMANDS: dict[str, Command] = {
    "give": give_command,
    "list": list_command,
    "who": who_command,
    "mine": mine_command,
    "pending": pending_command,
    "top": top_command,
    "digest": digest_command,
    "recap": recap_command,
    "home": home_command,
    "help": help_command,
    "delete": delete_command,
    "revoke": revoke_command,
    "settings": settings_command,
    "export": export_command,
    "create": create_command,
    "edit": edit_command,
}
