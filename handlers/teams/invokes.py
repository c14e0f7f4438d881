"""Invokes: clicks on the bot's Action.Execute buttons (``adaptiveCard/action``) and the
message extension's dialog (``composeExtension/fetchTask`` and ``/submitAction``).

An invoke must be answered while the person waits. A decision's answer is the redrawn
card; one Quantive is slow to confirm is answered anyway by handlers.teams.app's
``answer_invoke`` (every invoke within ANSWER_WITHIN) and finishes afterwards. Everything
else a decision causes (the other copies of the card, the notices) runs after the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from api import errors
from api.models import Badge
from bot.awards import (
    Award,
    DecisionOutcome,
    DecisionResult,
    QueuedOutcome,
    QueuedResult,
    award_key,
)
from bot.awards.sync import decided_in_quantive
from bot.identity import ChatProfile
from handlers.teams import cards
from handlers.teams.admin import delete_clicked, revoke_clicked
from handlers.teams.badge_editor import SAVE_BADGE_VERB, badge_form_submitted
from handlers.teams.cards import (
    APPROVE_VERB,
    CANCEL_VERB,
    DELETE_BADGE_VERB,
    HOME_VERB,
    REJECT_VERB,
    REVOKE_VERB,
    run,
)
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.digest_cards import MAX_DIGEST_ITEMS, digest_card, digest_item_container
from handlers.teams.directory import Sender, is_plausible_teams_id
from handlers.teams.export import file_consent
from handlers.teams.give_flow import give
from handlers.teams.home import home_card, refresh_homes, remember_home
from handlers.teams.settings import settings_submitted
from handlers.teams.settings_card import SETTINGS_VERB

log = logging.getLogger(__name__)

GIVE_COMMAND_ID = "giveBadge"
#: People one dialog may name (Teams' people picker sends their object ids).
MAX_DIALOG_PEOPLE = 50


async def card_action(ctx: TeamsContext, turn: Turn) -> dict[str, Any]:
    """Route a click on an Action.Execute by its verb; an unknown one is told so."""
    verb, data = cards.clicked_action(turn.activity)
    if verb == CANCEL_VERB:
        return cards.card_response(cards.card([cards.note("Cancelled.")]))
    profile = await ctx.directory.profile(turn.sender, turn.ref)
    if verb in (APPROVE_VERB, REJECT_VERB):
        return await decision_clicked(ctx, turn, profile, verb, data)
    if verb == HOME_VERB:
        # The clicked message now shows their home: redraw it there when things change.
        remember_home(ctx, turn.sender, turn.ref, str(turn.activity.get("replyToId") or ""))
        return cards.card_response(await home_card(ctx, profile))
    if verb == DELETE_BADGE_VERB:
        return await delete_clicked(ctx, profile, data)
    if verb == REVOKE_VERB:
        return await revoke_clicked(ctx, profile, data)
    if verb == SAVE_BADGE_VERB:
        return await badge_form_submitted(ctx, profile, data)
    if verb == SETTINGS_VERB:
        return await settings_submitted(ctx, turn, profile, data)
    return cards.message_response("That button is no longer valid. Send “help” to start again.")


async def decision_clicked(
    ctx: TeamsContext, turn: Turn, profile: ChatProfile, verb: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Decide once; answer with the redrawn card, then update every copy and notify."""
    assignment_id = award_key(data.get("assignment_id"))
    if assignment_id is None:
        return cards.message_response("That button is no longer valid.")
    if ctx.settings.teams_multi_tenant:
        unknown = await _unknown_here(ctx, assignment_id)
        if unknown:
            return cards.message_response(unknown)
    decision = "approve" if verb == APPROVE_VERB else "reject"
    result = await _decide(ctx, assignment_id, decision, profile, str(data.get("reason") or ""))
    if isinstance(result, str):
        return cards.message_response(result)
    if result.award is not None and result.outcome in (
        DecisionOutcome.DONE,
        DecisionOutcome.HANDLED_ELSEWHERE,
    ):
        ctx.later(ctx.services.notices.decided(result.award), "decision effects")
    redrawn = await _redraw(ctx, turn, profile, str(data.get("card") or "request"), result.award)
    text = _decision_words(result, profile)
    if text and redrawn is None:
        return cards.message_response(text)
    if redrawn is None:
        return cards.message_response("Done.")
    return cards.card_response(redrawn)


async def _unknown_here(ctx: TeamsContext, assignment_id: str) -> str:
    """What to say when the award is not this tenant's ("" when it is): neither in its
    records nor in its Quantive's queue. A button naming another tenant's award then
    decides nothing, and reaches no Quantive with that id."""
    if await ctx.services.awards.award(assignment_id) is not None:
        return ""
    try:
        pending = await ctx.services.awards.pending()
    except errors.QuantiveError as exc:
        return f"Nothing changed: {exc.user_message}"
    if any(item.id == assignment_id for item in pending):
        return ""
    return "I don't know that award; nothing changed."


async def _decide(
    ctx: TeamsContext, assignment_id: str, decision: str, profile: ChatProfile, reason: str
) -> DecisionResult | str:
    """The core's decision, settled once if Quantive's answer was lost; a string is what
    to tell the approver instead of a card."""
    awards = ctx.services.awards
    try:
        result = await awards.decide(
            assignment_id, "approve" if decision == "approve" else "reject", profile, reason
        )
        if result.outcome is DecisionOutcome.NOT_ALLOWED:
            return (
                "Only approvers can approve or reject badge awards; nothing changed. "
                "Ask an approver, or an admin to add you to TEAMS_APPROVERS."
            )
        if result.outcome is DecisionOutcome.UNKNOWN:
            return "I don't know that award, so nothing changed."
        if result.outcome is DecisionOutcome.UNCERTAIN:
            result = await awards.settle_decision(assignment_id)
    except errors.QuantiveError as exc:
        return f"Nothing changed: {exc.user_message}"
    if result.outcome is DecisionOutcome.UNCERTAIN:
        return (
            "Quantive didn't confirm this decision in time. I'm checking what it shows and "
            "will update the card; no need to click again."
        )
    if result.outcome is DecisionOutcome.QUEUED:
        return (
            "Approved. Quantive can't take awards right now, so this one is queued: it will "
            "be made once when Quantive is back, and everyone told then."
        )
    if result.outcome is DecisionOutcome.STILL_IN_QUANTIVE:
        return (
            "The award is made, but Quantive kept it in its approval queue. Approve it once "
            "more (or in Quantive) to finish it; nobody has been told yet."
        )
    if result.outcome is DecisionOutcome.REFUSED and result.award is not None:
        # The answer is the card redrawn as refused; its other copies and the giver's
        # notice (on the giver's platform, as for a refused queued give) come after.
        refused = QueuedResult(QueuedOutcome.REFUSED, result.award, result.error)
        ctx.later(ctx.notifier.refresh(result.award), "refused award's cards")
        ctx.later(refresh_homes(ctx, result.award), "refused award's home cards")
        ctx.later(ctx.services.notices.queued_result(refused), "refused award's giver")
    return result


def _decision_words(result: DecisionResult, profile: ChatProfile) -> str:
    """What to tell the approver when no card can be redrawn ("" when the card says it)."""
    refused = result.award is not None and result.award.status == "refused"
    if refused and result.outcome in (DecisionOutcome.REFUSED, DecisionOutcome.ALREADY_CLAIMED):
        # Approved, then refused by Quantive: "already approved" would be untrue.
        why = f": {result.award.reason}" if result.award and result.award.reason else "."
        return f"Quantive refused this award, so it was not made{why}"
    if result.outcome is not DecisionOutcome.ALREADY_CLAIMED:
        return ""
    ended = decided_in_quantive(result.award)
    if ended is not None:  # the sync settled it: nothing was called, nothing changes
        return f"This award was already {ended} in Quantive, so nothing changed."
    earlier = result.earlier
    if earlier is not None and not earlier.done:
        return "A decision on this award is being confirmed with Quantive. The card will update."
    if earlier is not None and earlier.decided_by != profile.user_id:
        verb = "approved" if earlier.decision == "approve" else "rejected"
        return f"No need: another approver already {verb} this award."
    return ""


async def _redraw(
    ctx: TeamsContext, turn: Turn, profile: ChatProfile, source: str, award: Award | None
) -> cards.Card | None:
    """The card the click came from, drawn again with the award's new state. A list
    (``pending``, ``home``) is read afresh, so the decided award leaves it: it is shown
    on top with its outcome instead."""
    if source in ("home", "list"):
        fresh = await home_card(ctx, profile) if source == "home" else await _queue_card(ctx)
        if fresh is not None and award is not None:
            fresh["body"].insert(0, digest_item_container(award, with_buttons=False))
        return fresh
    if source == "digest":
        posted = turn.activity.get("replyToId")
        if not is_plausible_teams_id(posted):
            return None  # a digest is looked up by this id: never an id Teams could not send
        message = await ctx.digest.render_posted(turn.ref.conversation_id, posted)
        if message is not None:
            return message["attachments"][0]["content"]
        return None
    return cards.approval_request_card(award) if award is not None else None


async def _queue_card(ctx: TeamsContext) -> cards.Card | None:
    """The approver's ``pending`` list, read afresh."""
    try:
        pending = await ctx.services.awards.pending()
        views = await ctx.digest.views_for(pending[:MAX_DIGEST_ITEMS])
    except errors.QuantiveError:
        return None
    if not pending:
        return cards.card([cards.note("Nothing else is waiting for approval. ✨")])
    return digest_card(views, len(pending), source="list")


def give_dialog_card(
    badges: list[tuple[str, str]], reason: str = "", notice: str = ""
) -> cards.Card:
    """The dialog of "Give a badge": people (Teams' people picker), badge and reason."""
    body: list[cards.Element] = []
    if notice:
        body.append(cards.rich(run(notice, bold=True)))
    body += [
        {
            "type": "Input.ChoiceSet",
            "id": "people",
            "label": "Who?",
            "isMultiSelect": True,
            "isRequired": True,
            "choices": [],
            "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"},
        },
        {
            "type": "Input.ChoiceSet",
            "id": "badge",
            "label": "Badge",
            "isRequired": True,
            "style": "filtered",
            "choices": [{"title": cards.plain(name, 100), "value": bid} for bid, name in badges],
        },
        {
            "type": "Input.Text",
            "id": "reason",
            "label": "Why? (everyone who sees the award reads this)",
            "isMultiline": True,
            "maxLength": 1000,
            "value": cards.plain(reason, 1000),
        },
    ]
    return cards.card(body, [{"type": "Action.Submit", "title": "Give", "data": {}}])


def _dialog(content: cards.Card) -> dict[str, Any]:
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": "Give a badge",
                "height": "medium",
                "width": "medium",
                "card": {"contentType": cards.CARD_CONTENT_TYPE, "content": content},
            },
        }
    }


def _message_link(value: dict[str, Any]) -> str:
    payload = value.get("messagePayload") if isinstance(value.get("messagePayload"), dict) else {}
    return str(payload.get("linkToMessage") or "")


async def give_dialog_opened(ctx: TeamsContext, turn: Turn) -> dict[str, Any]:
    """Open the dialog; from a message's … menu, the reason starts with its link."""
    value = turn.activity.get("value") or {}
    link = _message_link(value)
    reason = f"For this message: {link}" if link else ""
    badges = [(b.id, b.name) for b in await _catalogue(ctx)]
    notice = "" if badges else "I couldn't load the badges from Quantive; try again shortly."
    return _dialog(give_dialog_card(badges, reason, notice))


async def give_dialog_submitted(ctx: TeamsContext, turn: Turn) -> dict[str, Any]:
    """Check the dialog; close it and give after the answer, or show what is missing."""
    value = turn.activity.get("value") or {}
    data = value.get("data") if isinstance(value.get("data"), dict) else {}
    people = [p.strip() for p in str(data.get("people") or "").split(",") if p.strip()]
    badge_id = str(data.get("badge") or "")
    reason = str(data.get("reason") or "")
    catalogue = await _catalogue(ctx)
    badge = next((b for b in catalogue if b.id == badge_id), None)
    # The picker sends Azure AD object ids; anything else would reach connector URLs.
    notice = ""
    if len(people) > MAX_DIALOG_PEOPLE or not all(map(is_plausible_teams_id, people)):
        notice = "Pick people from the list Teams shows."
    elif not people or badge is None:
        # Name everything that is missing: fixing one only to be told of the next is a
        # second round trip for nothing.
        missing = [
            *(["at least one person"] if not people else []),
            *(["a badge from the list"] if badge is None else []),
        ]
        notice = f"Pick {' and '.join(missing)}."
    if notice or badge is None:
        return _dialog(give_dialog_card([(b.id, b.name) for b in catalogue], reason, notice))
    users = [Sender(user_id=p, name=p, aad_object_id=p) for p in people]
    ctx.later(give(ctx, turn, users=users, badge=badge, comment=reason), "give from dialog")
    return {}


async def _catalogue(ctx: TeamsContext) -> list[Badge]:
    try:
        return list(await ctx.services.catalogue.badges())
    except errors.QuantiveError:
        return []


INVOKES = {
    "adaptiveCard/action": card_action,
    "composeExtension/fetchTask": give_dialog_opened,
    "composeExtension/submitAction": give_dialog_submitted,
    "fileConsent/invoke": file_consent,
}
