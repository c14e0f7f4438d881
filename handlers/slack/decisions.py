"""Turning an approver's decision into exactly one Quantive call and the right messages."""

from __future__ import annotations

import logging

from api import errors
from bot.awards import (
    Award,
    Decision,
    DecisionOutcome,
    QueuedOutcome,
    QueuedResult,
    award_key,
)
from bot.awards.sync import decided_in_quantive
from bot.identity import ChatProfile
from handlers.slack.context import SlackContext
from handlers.slack.home import refresh_homes
from handlers.slack.mrkdwn import escape, mention
from handlers.slack.notifications import effects
from handlers.slack.replies import Reply

log = logging.getLogger(__name__)


def not_an_approver_text(ctx: SlackContext, verb: str) -> str:
    """The refusal shown to someone who is not an approver."""
    approvers = ", ".join(mention(a) for a in ctx.services.permissions.approvers[:5])
    ask = f" Ask {approvers}." if approvers else ""
    return f"Only approvers can {verb} badge awards.{ask}"


async def decide(
    ctx: SlackContext,
    assignment_id: str,
    decision: Decision,
    user_id: str,
    reason: str,
    reply: Reply,
) -> None:
    """Decide once, then redraw messages and notify; a repeat click stays quiet. The core
    checks that the person may decide; a refusal is shown to them."""
    if award_key(assignment_id) is None:
        return  # not a button of ours
    awards = ctx.services.awards
    try:
        result = await awards.decide(assignment_id, decision, await _approver(ctx, user_id), reason)
        if result.outcome is DecisionOutcome.NOT_ALLOWED:
            await reply(not_an_approver_text(ctx, decision))
            return
        if result.outcome is DecisionOutcome.UNKNOWN:
            await reply(UNKNOWN_AWARD)
            return
        if result.outcome is DecisionOutcome.UNCERTAIN:
            await reply(
                ":hourglass: Quantive didn't confirm this decision in time. I'm checking what "
                "it shows and will update the message; no need to click again."
            )
            result = await awards.settle_decision(assignment_id)
    except errors.QuantiveError as exc:
        await reply(f"Nothing changed: {escape(exc.user_message)}")
        return
    if result.outcome is DecisionOutcome.UNCERTAIN:
        return  # still unanswered: the worker settles it and redraws every message then
    if result.outcome is DecisionOutcome.QUEUED:
        await reply(
            ":hourglass: Approved. Quantive can't take awards right now, so this one is "
            "queued: it will be made once when Quantive is back, and everyone told then."
        )
        return
    if result.outcome is DecisionOutcome.STILL_IN_QUANTIVE:
        await reply(
            ":hourglass: The award is made, but Quantive kept it in its approval queue. "
            "Press Approve once more (or approve it in Quantive) to finish it; nobody has "
            "been told yet."
        )
        return
    if result.outcome is DecisionOutcome.REFUSED:
        await reply(
            f":no_entry: Quantive refused this award, so it was not made: "
            f"{escape(result.error)} I've told the giver and updated the messages."
        )
        if result.award is not None:
            await refused_effects(ctx, result.award, result.error)
        return
    if result.outcome is DecisionOutcome.ALREADY_CLAIMED:
        ended = decided_in_quantive(result.award)
        if ended is not None:  # the sync settled it: nothing was called, nothing changes
            await reply(already_decided_text(ended))
            return
        earlier = result.earlier
        if result.award is not None and result.award.status == "refused":
            # Approved, then refused by Quantive: "already approved" would be untrue.
            why = f": {escape(result.award.reason)}" if result.award.reason else "."
            await reply(f"Quantive refused this award, so it was not made{why}")
            return
        if earlier is not None and not earlier.done:
            await reply(
                "A decision on this award is being confirmed with Quantive. The message will "
                "update when it is."
            )
        elif earlier is not None and earlier.decided_by != user_id:
            verb = "approved" if earlier.decision == "approve" else "rejected"
            await reply(f"No need: {mention(earlier.decided_by)} already {verb} this award.")
        return
    if result.outcome is DecisionOutcome.HANDLED_ELSEWHERE:
        await reply(
            "This award was already approved or rejected in Quantive, so there was nothing "
            "to do. I've updated the message."
        )
    if result.award is not None:
        # Every front end redraws its copies; the award's own platform tells its people.
        await ctx.services.notices.decided(result.award)


def already_decided_text(ended: str) -> str:
    """What a click on an award Quantive shows decided already is told."""
    return f"This award was already {ended} in Quantive, so nothing changed."


#: What a click on an award this workspace has no record of is told.
UNKNOWN_AWARD = "I don't know that award, so nothing changed."


async def refused_effects(ctx: SlackContext, award: Award, why: str) -> None:
    """An approved award Quantive refused: redraw its Slack messages and Home tabs as
    refused, and tell the giver why on their own platform (through the core's notices, as
    for a queued give it refused). Not :meth:`NoticeBoard.decided`, whose giver's DM
    would read as a decision."""
    await effects(
        {
            "Slack messages": ctx.notifier.refresh(award),
            "Home tabs": refresh_homes(ctx, award),
            "the giver": ctx.services.notices.queued_result(
                QueuedResult(QueuedOutcome.REFUSED, award, why)
            ),
        }
    )


async def _approver(ctx: SlackContext, user_id: str) -> ChatProfile:
    """The clicking person as the record names them (name and email); their id alone when
    Slack cannot say more now, since the decision must not wait on a profile."""
    try:
        return await ctx.directory.profile(user_id)
    except Exception as exc:  # a profile only adds a name and an email to the record
        log.info("no Slack profile for a decider: %s", type(exc).__name__)
        return ChatProfile(user_id=user_id, name=user_id)
