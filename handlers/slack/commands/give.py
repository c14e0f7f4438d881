"""``/badge give @user [@user2 ...] <badge> [comment]`` and its shorthand ``/badge @user ...``."""

from __future__ import annotations

from api import errors
from handlers.slack import blocks, give_flow
from handlers.slack.commands.browse import mine_command
from handlers.slack.commands.request import CommandRequest
from handlers.slack.mrkdwn import escape
from handlers.slack.replies import ephemeral_or_dm, respond_ephemeral
from handlers.slack.views.give import open_for_badge


def unresolved_mentions(text: str) -> list[str]:
    """The ``@words`` leading ``text``: names Slack did not turn into mentions, because no
    person or user group has them (real mentions arrive as ``<@U…>``, already parsed)."""
    names: list[str] = []
    for word in text.split():
        if not (word.startswith("@") and len(word) > 1):
            break
        names.append(word)
    return names


async def give_command(req: CommandRequest) -> None:
    """Give at once when the command is complete; open the prefilled modal when a piece is
    missing (at once, whatever Quantive's speed); answer ephemerally with near matches when
    the badge name is unknown."""
    channel = req.channel_id
    reply = respond_ephemeral(req.respond, ephemeral_or_dm(req.ctx.notifier, channel, req.user_id))
    if req.parsed.broadcasts or req.parsed.channels:
        await reply(
            "Badges go to people and teams, not to channels. Mention people with `@name`, "
            "or a user group such as `@platform`."
        )
        return
    parsed = req.parsed
    has_recipients = bool(parsed.users or parsed.groups)
    if parsed.shorthand and len(parsed.users) == 1 and not parsed.groups and not parsed.rest:
        # "/badge @maria" asks what Maria holds.
        await mine_command(req)
        return
    if not parsed.rest:
        # Nothing to look up, so nothing waits on Quantive: the trigger_id lives 3 s.
        await req.open_modal(blocks.give_modal(channel_id=channel, user_ids=parsed.users))
        return
    unresolved = unresolved_mentions(parsed.rest)
    if unresolved:
        names = ", ".join(f"`{escape(name)}`" for name in unresolved)
        verb = "is not a person or user group" if len(unresolved) == 1 else "are not people"
        await reply(
            f"{names} {verb} I can find. Pick people from the list Slack shows as you type "
            "`@`, so that they arrive as mentions, and check the spelling of user groups."
        )
        return
    if not has_recipients:
        # A modal asks who; it must open within the trigger's 3 s, catalogue or not.
        await open_for_badge(
            req.ctx,
            req.client,
            str(req.command["trigger_id"]),
            channel_id=channel,
            text=parsed.rest,
            reply=reply,
        )
        return
    try:
        match = await req.ctx.services.catalogue.match(parsed.rest)
    except errors.QuantiveError as exc:
        await reply(f"I couldn't load the badges. {escape(exc.user_message)}")
        return
    if match.badge is None:
        await reply(give_flow.unknown_give_badge_text(parsed.rest, match.suggestions, match.typed))
        return
    await give_flow.give(
        req.ctx,
        give_flow.GiveOrder(
            giver_id=req.user_id,
            user_ids=parsed.users,
            groups=parsed.groups,
            badge=match.badge,
            comment=match.rest,
            origin_channel=channel,
        ),
        reply,
    )
