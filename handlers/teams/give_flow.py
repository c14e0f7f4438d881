"""The give pipeline shared by the ``give`` command and the message extension's dialog,
after Teams was answered: the twin of handlers/slack/give_flow.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from api import errors
from api.models import Badge
from bot.awards import Award, AwardQueued, GiveRefused, GiveRequest
from handlers.teams.cards import text_message
from handlers.teams.command_parser import TagMention
from handlers.teams.connector import ConnectorError
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.directory import Sender
from handlers.teams.notifications import Unreachable
from handlers.teams.tags import expand_tags
from handlers.teams.wording import award_words

log = logging.getLogger(__name__)


async def give(
    ctx: TeamsContext,
    turn: Turn,
    *,
    users: list[Sender],
    badge: Badge,
    comment: str,
    tags: Sequence[TagMention] = (),
) -> None:
    """Resolve everyone (each tag as the Quantive team of its name, else its members),
    make the award, and tell people what happened."""
    async with ctx.give_slots:
        try:
            teams, members = await expand_tags(ctx, turn, tags)
            giver = await ctx.directory.profile(turn.sender, turn.ref)
            named = await asyncio.gather(*(ctx.directory.profile(u, turn.ref) for u in users))
            # One award for everyone, as Slack gives to a group's members; someone both
            # mentioned and in a tag is named once.
            people = list({p.user_id: p for p in [*named, *members]}.values())
            award = await ctx.services.awards.give(
                GiveRequest(
                    giver=giver,
                    recipients=people,
                    teams=teams,
                    badge=badge,
                    comment=comment,
                    origin_channel=turn.ref.conversation_id,
                )
            )
        except GiveRefused as exc:
            await answer_giver(ctx, turn, str(exc))
            return
        except AwardQueued as queued:
            words = award_words(queued.award)
            if queued.timed_out:
                text = (
                    f"⌛ Quantive didn't confirm your award of {words}. I'll check whether it "
                    "arrived and deliver it exactly once, and I'll tell you. No need to send "
                    "it again."
                )
            else:
                text = (
                    f"⌛ Quantive can't take awards right now, so your award of {words} is "
                    "queued. It will be delivered once, as soon as Quantive is back, and I'll "
                    "tell you. No need to send it again."
                )
            await answer_giver(ctx, turn, text)
            return
        except errors.QuantiveError as exc:
            await answer_giver(ctx, turn, f"Nothing was awarded. {exc.user_message}")
            return
    receipt = await after_give(ctx, award)
    celebrated_here = not award.waiting and turn.ref.conversation_id == (
        ctx.settings.teams_announce_conversation or award.origin_channel
    )
    await answer_giver(ctx, turn, receipt, in_channel=not celebrated_here)


async def answer_giver(
    ctx: TeamsContext, turn: Turn, text: str, *, in_channel: bool = True
) -> None:
    """Tell the giver how their give went: in their 1:1 chat, as always, and for a give
    typed in a channel, in the channel too. Teams has no message for one person only, and
    without it the sender sees nothing happen where they typed. A give from the dialog
    stays private (nobody saw it typed), and so does a channel that the celebration
    already answered (``in_channel`` False)."""
    typed_in_channel = not turn.personal and turn.activity.get("type") == "message"
    if not (typed_in_channel and in_channel):
        await ctx.reply(turn, text)
        return
    message = text_message(text)
    try:
        await ctx.notifier.post(turn.ref, message)
    except ConnectorError as exc:  # the 1:1 chat still tells them
        log.warning("Teams answer in the channel failed: %s", exc)
    with contextlib.suppress(Unreachable):  # not installed for them: the channel told them
        await ctx.notifier.dm(turn.sender.user_id, message)


async def after_give(ctx: TeamsContext, award: Award) -> str:
    """Ask for approval or celebrate; returns the giver's receipt, which says who could
    not be reached (nothing else stops for them)."""
    words = award_words(award)
    if award.waiting:
        reached = await ctx.notifier.request_approval(award)
        unreachable = (
            ""
            if reached
            else " I couldn't message any approver in Teams, so ask one to send me “pending”."
        )
        return (
            f"⏳ Sent for approval: {words}. You'll hear from me when an approver "
            f"decides.{unreachable}"
        )
    missed = await ctx.notifier.announce(award)
    tail = ""
    if missed:
        tail = (
            f" I couldn't message {', '.join(missed)} in Teams (badgebot isn't installed for "
            "them), but the badge is theirs in Quantive."
        )
    return f"🎉 Done! {words}.{tail}"
