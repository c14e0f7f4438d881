"""The "Give a badge" step of Slack's Workflow Builder (the ``give_badge`` function of
manifest.yml, delivered as a ``function_executed`` event).

Bolt acknowledges the event at once (``auto_acknowledge``); the give runs after the ack,
through the same give as ``/badge give`` (handlers.slack.give_flow.make_award): the same
rules, limits, approval and exactly-once delivery, for the giver the workflow names.

The step ends once, with ``functions.completeSuccess`` (``status`` made or pending, and
the award's ``assignment_id``) when Quantive has answered, or ``functions.completeError``
with a sentence a workflow author can act on.

A give Quantive could not take now (queued) ends as an error that says so: it is neither
made nor pending yet, so no honest ``status`` or ``assignment_id`` exists, and waiting for
the outbox could outlast the step's time. The award itself is kept and made once, and its
giver hears when it is (as after a queued ``/badge give``).

Slack may deliver one execution more than once (an Events API retry keeps its event_id,
which the endpoint's replay check drops; a redelivery may carry a new one). The give is
claimed under the execution's ``function_execution_id`` before anything is done, so a
second delivery makes no award and no second completion.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from api import errors
from api.models import Badge
from api.paths import is_plausible_id
from bot.awards import Award, AwardQueued, GiveRefused
from bot.store.seen_requests import KEEP_PREFIX
from handlers.slack import give_flow
from handlers.slack.commands.browse import unknown_badge_text
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)

#: The step's callback_id: must match ``functions.give_badge`` in manifest.yml.
GIVE_BADGE_STEP = "give_badge"

#: A Slack user id, as the step's user inputs carry them (U… or, on Enterprise Grid, W…).
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")

#: What the step says when something unforeseen stopped it: the award may exist.
UNEXPECTED = (
    "Sorry, something went wrong on badgebot's side. Check the recipients' badges in "
    "Quantive before running this step again: the award may have been made."
)

#: What the step says when the database could not record the execution: nothing was done.
DATABASE_DOWN = (
    "badgebot can't reach its database right now, so it gave nothing and recorded nothing. "
    "Run the workflow again in a minute."
)


@dataclass(frozen=True)
class StepInputs:
    """The step's inputs as the workflow filled them in."""

    giver: str
    recipients: list[str]
    badge: str
    comment: str


def read_inputs(inputs: Any) -> StepInputs | str:
    """The inputs, or the sentence that says which one is missing or malformed.

    Slack checks the types it declared, but a workflow variable can still be empty, and
    the ids end up in a Web API call: only well-formed user ids go on."""
    if not isinstance(inputs, dict):
        inputs = {}
    giver = inputs.get("giver")
    if not isinstance(giver, str) or not USER_ID.fullmatch(giver):
        return "The step needs a giver: pick a person (or a workflow variable that is one)."
    raw = inputs.get("recipients")
    recipients = [raw] if isinstance(raw, str) else raw
    if not isinstance(recipients, list) or not recipients:
        return "The step needs at least one recipient."
    if not all(isinstance(r, str) and USER_ID.fullmatch(r) for r in recipients):
        return "The recipients must be people in this workspace."
    badge = inputs.get("badge")
    if not isinstance(badge, str) or not badge.strip():
        return "The step needs the name of a badge, e.g. Visionary (see `/badge list`)."
    comment = inputs.get("comment")
    return StepInputs(
        giver=giver,
        recipients=list(dict.fromkeys(recipients)),
        badge=badge.strip(),
        comment=comment if isinstance(comment, str) else "",
    )


async def find_badge(ctx: SlackContext, name: str) -> Badge | str:
    """The badge the input names (its name, or its id), or the catalogue's answer for an
    unknown name, with its near misses. The whole input is the name: a workflow's badge
    field has no comment after it, so "Team Player great" is no badge."""
    catalogue = ctx.services.catalogue
    if is_plausible_id(name):
        found = await catalogue.by_id(name)
        if found is not None:
            return found
    match = await catalogue.match(name)
    if match.badge is not None and not match.rest:
        return match.badge
    suggestions = match.suggestions or ([match.badge.name] if match.badge else [])
    return unknown_badge_text(name, suggestions, "give", plain=True)


def queued_text(queued: AwardQueued) -> str:
    """Why a queued give ends the step with an error, and that the award will still be made."""
    award = queued.award
    sentence = f"{award.badge_name} for {_names(award)}"
    if queued.timed_out:
        start = f"Quantive didn't confirm this award of {sentence}. badgebot will check "
        start += "whether it arrived and make it exactly once"
    else:
        start = f"Quantive can't take awards right now, so this award of {sentence} is "
        start += "queued. It will be made once, as soon as Quantive is back"
    return (
        f"{start}, and the giver will get a message. The step stops here because the award "
        "has no status or id yet. Don't run the workflow again for it."
    )


def _names(award: Award) -> str:
    names = [r.name for r in award.recipients] or ["nobody"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def outputs_of(award: Award) -> dict[str, str]:
    """The step's outputs: ``made`` once approved, ``pending`` while an approver has to
    decide (in Quantive's queue, or held by the bot, whose key is then the id)."""
    return {
        "status": "pending" if award.waiting else "made",
        "assignment_id": award.made_in_quantive or award.assignment_id,
    }


async def run_step(ctx: SlackContext, inputs: StepInputs) -> dict[str, str] | str:
    """Give as ``inputs`` say: the outputs for completeSuccess, or the error's sentence."""
    try:
        badge = await find_badge(ctx, inputs.badge)
    except errors.QuantiveError as exc:
        return f"badgebot couldn't load the badges, so nothing was given. {exc.user_message}"
    if isinstance(badge, str):
        return badge
    # A bounded number of gives at once, as for every other give (give_flow.give).
    async with ctx.give_slots:
        try:
            award = await give_flow.make_award(
                ctx,
                give_flow.GiveOrder(
                    giver_id=inputs.giver,
                    user_ids=inputs.recipients,
                    groups=[],
                    badge=badge,
                    comment=inputs.comment,
                    origin_channel=None,
                ),
            )
        except GiveRefused as exc:
            return str(exc)
        except AwardQueued as queued:
            return queued_text(queued)
        except errors.QuantiveError as exc:
            return f"Nothing was awarded. {exc.user_message}"
        except SlackApiError as exc:
            log.warning("workflow give stopped by Slack: %s", exc.response.get("error"))
            return "Nothing was awarded: Slack didn't say who everyone is. Run the step again."
        # The award's own messages (approval requests, or the recipients' DMs) go out
        # before the step ends, as they do before the giver's receipt of a command.
        await give_flow.publish_award(ctx, award)
    return outputs_of(award)


def give_badge_step(ctx: SlackContext) -> Callable[..., Awaitable[None]]:
    """The ``function_executed`` listener of the give_badge step, for one workspace."""

    async def handle(event: dict[str, Any], complete: AsyncComplete, fail: AsyncFail) -> None:
        execution = event.get("function_execution_id")
        if not isinstance(execution, str) or not execution:
            log.warning("ignored a function_executed event without an execution id")
            return
        try:
            # Kept for 90 days (keep:), far longer than Slack redelivers an execution.
            first = await ctx.services.store.first_sighting(f"{KEEP_PREFIX}function:{execution}")
        except (SQLAlchemyError, OSError) as exc:
            log.error("workflow step not recorded, nothing done: %s", type(exc).__name__)
            await _finish(fail, DATABASE_DOWN)
            return
        if not first:
            log.info("ignored a workflow step already handled")
            return
        inputs = read_inputs(event.get("inputs"))
        try:
            result = inputs if isinstance(inputs, str) else await run_step(ctx, inputs)
        except Exception as exc:  # the workflow must not wait for a completion forever
            log.error("workflow give failed: %s: %s", type(exc).__name__, exc)
            result = UNEXPECTED
        if isinstance(result, str):
            await _finish(fail, result)
        else:
            await _finish(complete, result)

    return handle


async def _finish(end: AsyncComplete | AsyncFail, result: dict[str, str] | str) -> None:
    """Complete the execution; a completion Slack refuses is logged, not retried: the
    award (if any) stands, and the workflow's run history shows the step as unfinished."""
    try:
        if isinstance(end, AsyncFail):
            assert isinstance(result, str)
            await end(error=result)
        else:
            assert isinstance(result, dict)
            await end(outputs=result)
    except SlackApiError as exc:
        log.warning("workflow step completion refused: %s", exc.response.get("error"))
