"""How the core's outcomes are told in Teams (the twin of handlers/slack/recovery.py):
queued gives that went through or were refused, and decisions made elsewhere (on Slack,
by another process, or finished after a crash)."""

from __future__ import annotations

from bot.awards import Award, QueuedOutcome, QueuedResult, is_held
from bot.effects import effects
from handlers.teams.cards import text_message
from handlers.teams.context import TeamsContext
from handlers.teams.give_flow import after_give
from handlers.teams.home import refresh_homes
from handlers.teams.wording import award_words


class TeamsAwardNotices:
    """bot.ports.AwardNotices for Teams: 1:1 notices and the Teams cards."""

    def __init__(self, ctx: TeamsContext) -> None:
        self._ctx = ctx

    async def queued_result(self, result: QueuedResult) -> None:
        """Tell the giver what became of a queued award, then carry on as a give would."""
        ctx, award = self._ctx, result.award
        if result.outcome is QueuedOutcome.DELIVERED and is_held(award.assignment_id):
            # Told as approved only when Quantive says so; otherwise it waits in its queue.
            if award.status == "approved":
                await ctx.notifier.after_decision(award)
            return
        if award.platform != "teams":
            return  # given in Slack: its giver hears there
        giver = award.giver.chat_user_id
        words = award_words(award)
        if result.outcome is QueuedOutcome.DELIVERED:
            text = "✅ Your queued award went through. " + await after_give(ctx, award)
        elif result.outcome is QueuedOutcome.REFUSED:
            text = f"❌ Your queued award of {words} was not made: {result.error}"
        elif result.outcome is QueuedOutcome.UNKNOWN:
            text = (
                f"⚠️ Quantive never confirmed your award of {words}, and I can't tell whether "
                "it was made, so I did not send it again. Please look for it in Quantive "
                "before you give it again."
            )
        else:
            return
        if giver:
            await ctx.notifier.dm(giver, text_message(text))

    async def decided(self, award: Award) -> None:
        """Redraw the award's Teams cards and the home cards that show it, and tell the
        people involved; each is its own effect."""
        await effects(
            {
                "Teams cards": self._ctx.notifier.after_decision(award),
                "home cards": refresh_homes(self._ctx, award),
            }
        )
