"""The give pipeline shared by the ``give`` command and the message extension's dialog,
after Teams was answered: the twin of handlers/slack/give_flow.py."""

from __future__ import annotations

import asyncio
import logging

from api import errors
from api.models import Badge
from bot.awards import Award, AwardQueued, GiveRefused, GiveRequest
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.directory import Sender
from handlers.teams.wording import award_words

log = logging.getLogger(__name__)


async def give(
    ctx: TeamsContext,
    turn: Turn,
    *,
    users: list[Sender],
    badge: Badge,
    comment: str,
) -> None:
    """Resolve everyone, make the award, and tell people what happened."""
    async with ctx.give_slots:
        try:
            giver = await ctx.directory.profile(turn.sender, turn.ref)
            people = await asyncio.gather(*(ctx.directory.profile(u, turn.ref) for u in users))
            view = await ctx.services.awards.give(
                GiveRequest(
                    giver=giver,
                    recipients=list(people),
                    teams=[],
                    badge=badge,
                    comment=comment,
                    origin_channel=turn.ref.conversation_id,
                )
            )
        except GiveRefused as exc:
            await ctx.reply(turn, str(exc))
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
            await ctx.reply(turn, text)
            return
        except errors.QuantiveError as exc:
            await ctx.reply(turn, f"Nothing was awarded. {exc.user_message}")
            return
    await ctx.reply(turn, await after_give(ctx, view))


async def after_give(ctx: TeamsContext, view: Award) -> str:
    """Ask for approval or celebrate; returns the giver's receipt, which says who could
    not be reached (nothing else stops for them)."""
    words = award_words(view)
    if view.waiting:
        reached = await ctx.notifier.request_approval(view)
        unreachable = (
            ""
            if reached
            else " I couldn't message any approver in Teams, so ask one to send me “pending”."
        )
        return (
            f"⏳ Sent for approval: {words}. You'll hear from me when an approver "
            f"decides.{unreachable}"
        )
    missed = await ctx.notifier.announce(view)
    tail = ""
    if missed:
        tail = (
            f" I couldn't message {', '.join(missed)} in Teams (badgebot isn't installed for "
            "them), but the badge is theirs in Quantive."
        )
    return f"🎉 Done! {words}.{tail}"
