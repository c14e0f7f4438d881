"""Read-only subcommands: list, who, mine (or @someone), pending and top."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from api import errors
from api.models import Assignment
from bot.awards import truncate
from bot.leaderboard import board_for, parse_period
from bot.people import Person
from handlers.slack.blocks import Block, badge_emoji
from handlers.slack.commands.request import CommandRequest
from handlers.slack.digest_blocks import MAX_DIGEST_ITEMS, digest_blocks
from handlers.slack.mrkdwn import escape, mention
from handlers.slack.people_text import chat_ids_for, person_text

#: Names listed by `/badge who` before "and N more".
WHO_LIMIT = 60


def text_sections(lines: list[str], limit: int = 2900, max_blocks: int = 48) -> list[Block]:
    """Lines packed into section blocks within Slack's text and block limits."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": current}})
            current = ""
        current = f"{current}\n{line}" if current else truncate(line, limit)
    if current:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": current}})
    return blocks[:max_blocks]


async def list_command(req: CommandRequest) -> None:
    """The catalogue: each badge with its emoji and summary."""
    try:
        badges = await req.ctx.services.catalogue.badges()
    except errors.QuantiveError as exc:
        await req.say(f"I couldn't load the badges. {escape(exc.user_message)}")
        return
    if not badges:
        await req.say("There are no badges yet. An admin can add one with `/badge create`.")
        return
    lines = [
        f"{badge_emoji(b.icon)} *{escape(b.name)}* — {escape(truncate(b.summary, 200))}"
        if b.summary
        else f"{badge_emoji(b.icon)} *{escape(b.name)}*"
        for b in badges
    ]
    # A real name in the example, so that it can be copied as it is; a raw "<badge>" would
    # be read by Slack as a link, and a backtick in a name would end the code span.
    example = escape(badges[0].name.replace("`", "'"))
    header = f"*{len(badges)} badges* · give one with `/badge give @someone {example} thanks for …`"
    await req.say(f"{len(badges)} badges", text_sections([header, *lines]))


async def who_command(req: CommandRequest) -> None:
    """Who holds a badge: people as mentions, teams by name."""
    try:
        match = await req.ctx.services.catalogue.match(req.parsed.rest)
        if match.badge is None:
            said = match.typed or req.parsed.rest  # a near miss's words, not what follows
            await req.say(unknown_badge_text(said, match.suggestions, "who"))
            return
        holders = await req.ctx.services.quantive.badge_holders(match.badge.id)
    except errors.QuantiveError as exc:
        await req.say(f"I couldn't ask Quantive. {escape(exc.user_message)}")
        return
    people = [Person(u.id, u.display_name, u.email) for u in holders.users]
    teams = [Person(t.id, t.name, is_team=True) for t in holders.teams]
    everyone = people + teams
    title = f"{badge_emoji(match.badge.icon)} *{escape(match.badge.name)}*"
    if not everyone:
        await req.say(f"Nobody holds {title} yet. Be the first to give it!")
        return
    shown = everyone[:WHO_LIMIT]
    chat_ids = await chat_ids_for(req.ctx, shown)
    names = ", ".join(person_text(p, chat_ids) for p in shown)
    more = f" and {len(everyone) - len(shown)} more" if len(everyone) > len(shown) else ""
    count = f"{len(people)} people and {len(teams)} teams" if teams else f"{len(people)} people"
    await req.say(f"{title} is held by {count}: {names}{more}.")


async def mine_command(req: CommandRequest) -> None:
    """The badges you hold, or those of the first person mentioned."""
    target = req.parsed.users[0] if req.parsed.users else req.user_id
    profile = await req.ctx.directory.profile(target)
    try:
        found, missing = await req.ctx.services.identities.resolve([profile])
        if missing:
            who = "you" if target == req.user_id else escape(profile.name)
            await req.say(f"I can't find {who} in Quantive: {escape(missing[0].reason)}.")
            return
        holdings = await req.ctx.services.holdings.holdings_of(found[target].quantive_user_id)
    except errors.QuantiveError as exc:
        await req.say(f"I couldn't ask Quantive. {escape(exc.user_message)}")
        return
    whose = "You hold" if target == req.user_id else f"{mention(target)} holds"
    left = await req.ctx.services.awards.gives_left(profile) if target == req.user_id else None
    left_line = f"\n_You have {left}._" if left else ""
    if not holdings:
        nobody = "You don't" if target == req.user_id else f"{mention(target)} doesn't"
        await req.say(f"{nobody} hold any badges yet.{left_line}")
        return
    direct = sum(1 for h in holdings if h.via_team is None)
    lines = [
        f"{whose} *{len(holdings)}* badge{'s' if len(holdings) != 1 else ''}"
        f" ({direct} directly, {len(holdings) - direct} through a team):"
    ]
    for holding in holdings:
        via = f" _(through {escape(holding.via_team)})_" if holding.via_team else ""
        lines.append(f"{badge_emoji(holding.badge.icon)} *{escape(holding.badge.name)}*{via}")
    if left:
        lines.append(f"_You have {left}._")
    await req.say(lines[0], text_sections(lines))


async def pending_command(req: CommandRequest) -> None:
    """Approvers: everything waiting, with buttons. Others: their own requests waiting."""
    user = req.user_id
    try:
        pending = await req.ctx.services.awards.pending()
        if req.ctx.services.permissions.can_approve(user):
            await _show_pending(req, pending, with_buttons=True)
            return
        found, missing = await req.ctx.services.identities.resolve(
            [await req.ctx.directory.profile(user)]
        )
    except errors.QuantiveError as exc:
        await req.say(f"I couldn't ask Quantive. {escape(exc.user_message)}")
        return
    if missing:
        await req.say(f"I can't find you in Quantive: {escape(missing[0].reason)}.")
        return
    mine = [a for a in pending if a.assigned_by_id == found[user].quantive_user_id]
    await _show_pending(req, mine, with_buttons=False)


async def _show_pending(
    req: CommandRequest, pending: list[Assignment], *, with_buttons: bool
) -> None:
    if not pending:
        await req.say("Nothing is waiting for approval. :sparkles:")
        return
    views = await req.ctx.digest.views_for(pending[:MAX_DIGEST_ITEMS])
    blocks = digest_blocks(views, len(pending))
    if not with_buttons:
        blocks = [b for b in blocks if b["type"] != "actions"]
        blocks[0]["text"]["text"] = blocks[0]["text"]["text"].replace(
            "badge award", "of your badge award"
        )
    await req.say(blocks[0]["text"]["text"], blocks)


async def top_command(req: CommandRequest) -> None:
    """The most recognised people and teams: ``top`` / ``top all`` from Quantive's holders,
    ``top week|month|quarter|year`` from the awards given through the bot in that period."""
    period = parse_period(req.parsed.rest)
    if period is None:
        await req.say("Which period? `/badge top week`, `month`, `quarter`, `year` or `all`.")
        return
    services = req.ctx.services
    try:
        board = await board_for(
            period, services.store, services.holdings, ZoneInfo(services.settings.digest_timezone)
        )
    except errors.QuantiveError as exc:
        await req.say(f"I couldn't ask Quantive. {escape(exc.user_message)}")
        return
    people, teams = board.people, board.teams
    if not people and not teams:
        when = "yet" if period == "all" else f"this {period}"
        await req.say(f"Nobody has been recognised {when}.\n_{escape(board.source)}_")
        return
    chat_ids = await chat_ids_for(req.ctx, [r.person for r in people])
    medals = [":first_place_medal:", ":second_place_medal:", ":third_place_medal:"]
    lines = ["*Most recognised people*" + ("" if period == "all" else f" this {period}")]
    for i, row in enumerate(people):
        place = medals[i] if i < 3 else f"{i + 1}."
        lines.append(f"{place} {person_text(row.person, chat_ids)} — {row.count}")
    if teams:
        lines.append("*Most recognised teams*")
        lines += [f"{i + 1}. *{escape(t.person.name)}* — {t.count}" for i, t in enumerate(teams)]
    blocks = text_sections(lines, max_blocks=47)
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": escape(board.source)}],
        }
    )
    await req.say("Badge leaderboard", blocks)


def unknown_badge_text(
    typed: str, suggestions: list[str], verb: str, *, tip: str = "", plain: bool = False
) -> str:
    """ "No badge called X; did you mean ...", with how to get the list (and ``tip``).

    ``plain`` words it the same for a reader that shows no mrkdwn (a workflow step's error
    in Workflow Builder), where ``*bold*`` and ``&amp;`` would show as typed."""
    quote = (lambda text: text) if plain else escape
    if not typed.strip():
        return f"Which badge? For example `/badge {verb} Visionary`."
    hint = ""
    if suggestions:
        names = (s if plain else f"*{quote(s)}*" for s in suggestions)
        hint = " Did you mean " + ", ".join(names) + "?"
    return f"I don't know a badge called “{quote(typed.strip())}”.{hint} See `/badge list`." + tip
