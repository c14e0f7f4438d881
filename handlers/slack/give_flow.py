"""The give pipeline shared by ``/badge give`` and the give modal, after Slack was acked."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from api import errors
from api.models import Badge, Team
from bot.awards import Award, AwardQueued, GiveRefused, GiveRequest
from handlers.slack.blocks import badge_text, recipients_text
from handlers.slack.command_parser import UserGroupRef
from handlers.slack.commands.browse import unknown_badge_text
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape, mentioned_user_ids, plain_mentions
from handlers.slack.replies import Reply

log = logging.getLogger(__name__)


#: Said after an unknown badge in a give: long names are easier to type quoted.
QUOTE_TIP = ' Put a long name in quotes, e.g. `/badge give @maria "Team Player" thanks!`'


def unknown_give_badge_text(text: str, suggestions: list[str], typed: str = "") -> str:
    """What to say when a give's ``text`` starts with no badge name, with the near misses;
    ``typed`` is the words the matcher read as the name (not the comment after it)."""
    return unknown_badge_text(
        typed or " ".join(text.split()[:3]), suggestions, "give", tip=QUOTE_TIP
    )


async def picked_badge(ctx: SlackContext, badge_id: str, reply: Reply, gone: str) -> Badge | None:
    """The badge a give picked by id (in the give modal, on a reaction's prompt), or None
    once the giver was told why nothing was awarded: Quantive's trouble, or ``gone`` when
    the badge was deleted since it was offered."""
    try:
        badge = await ctx.services.catalogue.by_id(badge_id)
    except errors.QuantiveError as exc:
        await reply(f"Nothing was awarded. {escape(exc.user_message)}")
        return None
    if badge is None:
        await reply(gone)
    return badge


async def expand_groups(
    ctx: SlackContext, groups: list[UserGroupRef], giver_id: str
) -> tuple[list[Team], list[str]]:
    """Teams named like the groups, and the members of the groups that match no team."""
    teams: list[Team] = []
    members: list[str] = []
    for group in groups:
        found = await ctx.services.quantive.find_teams_by_name(group.handle)
        if found:
            teams.append(found[0])
            continue
        for user_id in await ctx.directory.usergroup_members(group.id):
            if user_id != giver_id and user_id not in members:
                members.append(user_id)
    return teams, members


async def flatten_comment(ctx: SlackContext, comment: str) -> str:
    """The comment with Slack references turned into plain names, for Quantive."""
    names = {}
    for user_id in mentioned_user_ids(comment):
        names[user_id] = (await ctx.directory.profile(user_id)).name
    return plain_mentions(comment, names)


@dataclass(frozen=True)
class GiveOrder:
    """One give as Slack asked for it, before anyone is resolved: who gives, the people
    and user groups named, the badge, the comment as typed, and the channel it came from
    (None where there is none, as for a workflow step)."""

    giver_id: str
    user_ids: list[str]
    groups: list[UserGroupRef]
    badge: Badge
    comment: str
    origin_channel: str | None


async def make_award(ctx: SlackContext, order: GiveOrder) -> Award:
    """Resolve everyone in Slack and make the award through the core's one give (its rules,
    limits, approval and exactly-once delivery). Every Slack way of giving ends here.

    Raises what the core raises (GiveRefused, AwardQueued, api.errors.QuantiveError), and
    SlackApiError when Slack would not say who someone is; nothing is told to anyone.
    """
    giver_id, user_ids = order.giver_id, order.user_ids
    teams, members = await expand_groups(ctx, order.groups, giver_id)
    recipients = list(dict.fromkeys([*user_ids, *members]))
    giver, *people = await ctx.directory.profiles([giver_id, *recipients])
    if giver_id in recipients:
        people.insert(recipients.index(giver_id), giver)  # so the rules can refuse it
    # A group's bots and former members are skipped; named ones are refused by the rules.
    named = set(user_ids)
    people = [p for p in people if p.user_id in named or not (p.is_bot or p.deleted)]
    return await ctx.services.awards.give(
        GiveRequest(
            giver=giver,
            recipients=people,
            teams=teams,
            badge=order.badge,
            comment=await flatten_comment(ctx, order.comment),
            origin_channel=order.origin_channel,
        )
    )


async def publish_award(ctx: SlackContext, view: Award) -> int:
    """The award's own messages, which matter more than any receipt: the approval requests
    of a waiting award (returns how many approvers were reached), else the recipients'
    DMs and the celebration (returns 0)."""
    if view.waiting:
        return await ctx.notifier.request_approval(view)
    await ctx.notifier.announce(view)
    return 0


async def give(ctx: SlackContext, order: GiveOrder, reply: Reply) -> None:
    """Resolve everyone, make the award, and tell people what happened.

    A process works on a bounded number of gives at once (``ctx.give_slots``); the rest
    wait their turn, already acknowledged, so a burst of gives cannot starve the event
    loop of the time it needs to acknowledge the next requests within Slack's 3 seconds.
    """
    async with ctx.give_slots:
        try:
            view = await make_award(ctx, order)
        except GiveRefused as exc:
            await reply(escape(str(exc)))
            return
        except AwardQueued as queued:
            sentence = f"{badge_text(queued.award)} for {recipients_text(queued.award)}"
            if not queued.timed_out:
                await reply(
                    ":hourglass: Quantive can't take awards right now, so your award of "
                    f"{sentence} is queued. It will be delivered once, as soon as Quantive is "
                    "back, and I'll tell you. No need to send it again."
                )
            else:
                await reply(
                    f":hourglass: Quantive didn't confirm your award of {sentence}. I'll check "
                    "whether it arrived and deliver it exactly once, and I'll tell you. No need "
                    "to send it again."
                )
            return
        except errors.QuantiveError as exc:
            await reply(f"Nothing was awarded. {escape(exc.user_message)}")
            return
        except SlackApiError as exc:
            log.warning("give stopped by Slack: %s", exc.response.get("error"))
            await reply(
                "Nothing was awarded: Slack didn't tell me who everyone is. Please try again."
            )
            return

        sentence = f"{badge_text(view)} for {recipients_text(view)}"
        # The award's own messages go first: they matter more than the giver's receipt.
        reached = await publish_award(ctx, view)
        if view.waiting:
            unreachable = (
                ""
                if reached
                else " I couldn't message any approver, so ask one to run `/badge pending`."
            )
            await reply(
                f":hourglass_flowing_sand: Sent for approval: {sentence}. "
                f"You'll get a DM when an approver decides.{unreachable}"
            )
        else:
            await reply(f":tada: Done! {sentence}.")
