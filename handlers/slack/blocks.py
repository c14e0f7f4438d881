"""Pure functions that build Block Kit JSON for messages and modals about awards."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.awards import Award, Party, truncate
from handlers.slack.block_limits import Block, fit_fallback
from handlers.slack.modals import form_modal, input_block, message_modal
from handlers.slack.mrkdwn import escape, mention, quote

APPROVE_ACTION = "approve_award"
REJECT_ACTION = "reject_award"
GIVE_MODAL = "give_badge"
REJECT_MODAL = "reject_award_reason"
BADGE_OPTIONS = "badge_choice"
OPEN_GIVE_MODAL = "open_give_modal"
#: Must match the message shortcut's callback_id in manifest.yml.
GIVE_FOR_MESSAGE_SHORTCUT = "give_badge_for_message"

#: Quantive's icon names mapped to emoji; anything else is a medal.
ICON_EMOJI = {
    "handshake": ":handshake:",
    "telescope": ":telescope:",
    "puzzle": ":jigsaw:",
    "lightbulb": ":bulb:",
    "graduation-cap": ":mortar_board:",
    "rocket": ":rocket:",
    "heart": ":heart:",
    "star": ":star2:",
    "target": ":dart:",
    "trophy": ":trophy:",
    "crown": ":crown:",
    "fire": ":fire:",
    "medal": ":medal:",
    "thumbs-up": ":+1:",
    "sparkles": ":sparkles:",
}
DEFAULT_EMOJI = ":sports_medal:"


def badge_emoji(icon: str) -> str:
    """The emoji shown for a Quantive icon name."""
    return ICON_EMOJI.get((icon or "").lower(), DEFAULT_EMOJI)


def is_slack_user_id(chat_user_id: str | None) -> bool:
    """Whether a chat id is a Slack user's (an award given in Teams carries Teams ids)."""
    return bool(chat_user_id) and re.fullmatch(r"[UW][A-Z0-9]+", chat_user_id or "") is not None


def party_text(party: Party) -> str:
    """A giver or recipient in mrkdwn: a mention when known in Slack, else the escaped name."""
    if party.platform in (None, "slack") and is_slack_user_id(party.chat_user_id):
        return mention(party.chat_user_id or "")
    return f"*{escape(party.name)}*"


def recipients_text(award: Award) -> str:
    """The recipients, joined for a sentence."""
    names = [party_text(p) for p in award.recipients] or ["nobody"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def badge_text(award: Award) -> str:
    """The badge with its emoji, bold, escaped."""
    return f"{badge_emoji(award.badge_icon)} *{escape(award.badge_name)}*"


def award_sentence(award: Award, verb: str = "wants to give") -> str:
    """ "@giver wants to give :star: *Rockstar* to @x and *Team*"."""
    return f"{party_text(award.giver)} {verb} {badge_text(award)} to {recipients_text(award)}"


def decision_text(award: Award) -> str:
    """The status line of an award's message."""
    decider = award.decided_by
    if decider is not None and decider.via == "slack" and is_slack_user_id(decider.chat_user_id):
        who = mention(decider.chat_user_id)
    else:
        who = f"*{escape(award.decider_name)}*" if award.decider_name else "an approver"
    in_quantive = decider is not None and decider.via == "quantive"
    if award.status == "approved" and in_quantive:
        return ":white_check_mark: Approved in Quantive"
    if award.status == "rejected" and in_quantive:
        return ":x: Declined in Quantive"
    if award.status == "approved":
        return f":white_check_mark: Approved by {who}"
    if award.status == "rejected":
        reason = f": {escape(award.reason)}" if award.reason else ""
        return f":x: Rejected by {who}{reason}"
    if award.status == "handled":
        return ":information_source: Already handled in Quantive"
    if award.status == "refused":
        # Approved (or given), but Quantive would not make it: it never counted.
        why = f": {escape(award.reason)}" if award.reason else ""
        approved = f"Approved by {who}, but " if award.decided_by is not None else ""
        return f":no_entry: {approved}Quantive refused this award, so it was not made{why}"
    return ":hourglass_flowing_sand: Waiting for approval"


def plain_text(text: str) -> dict[str, str]:
    """A plain_text object: a label or a button's words, never read as mrkdwn."""
    return {"type": "plain_text", "text": text}


def button(action_id: str, text: str, value: str, style: str | None = None) -> Block:
    """A button whose click comes to the ``action_id`` listener with ``value``; ``style``
    is Slack's "primary" or "danger", or none."""
    element: Block = {"type": "button", "action_id": action_id, "text": plain_text(text)}
    if style is not None:
        element["style"] = style
    element["value"] = value
    return element


def question_blocks(text: str, buttons: list[Block]) -> list[Block]:
    """A question (mrkdwn, already escaped) with its buttons in a row under it."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "elements": buttons},
    ]


def decision_buttons(assignment_id: str, block_id: str | None = None) -> Block:
    """The Approve and Reject buttons of one award."""
    block: Block = {
        "type": "actions",
        "elements": [
            button(APPROVE_ACTION, "Approve", assignment_id, style="primary"),
            button(REJECT_ACTION, "Reject", assignment_id, style="danger"),
        ],
    }
    if block_id:
        block["block_id"] = block_id
    return block


def approval_request_blocks(award: Award) -> list[Block]:
    """The approval request: who gave what to whom, the comment, and the buttons while
    the award waits; after a decision, who decided and no buttons."""
    text = award_sentence(award, "wants to give" if award.waiting else "gave")
    if award.comment:
        text += "\n" + quote(award.comment, 2500)
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": decision_text(award)}]},
    ]
    if award.waiting:
        blocks.append(decision_buttons(award.assignment_id))
    return blocks


def approval_request_fallback(award: Award) -> str:
    """The notification text of an approval request: names escaped, no mentions."""
    state = "waiting for approval" if award.waiting else award.status
    return fit_fallback(
        f"Badge award {state}: {escape(award.badge_name)} from {escape(award.giver.name)}"
    )


def recipient_dm_fallback(award: Award) -> str:
    """The notification text of a recipient's DM."""
    return fit_fallback(
        f"You received the {escape(award.badge_name)} badge from {escape(award.giver.name)}"
    )


def celebration_fallback(award: Award) -> str:
    """The notification text of a celebration: no names, so nobody is pinged by it."""
    return fit_fallback(f"{escape(award.badge_name)} awarded")


def giver_decision_fallback(award: Award) -> str:
    """The notification text of the giver's DM after a decision."""
    return fit_fallback(f"Your {escape(award.badge_name)} award was {award.status}")


def celebration_blocks(award: Award) -> list[Block]:
    """The public celebration of an approved award."""
    giver = party_text(award.giver)
    text = f":tada: {recipients_text(award)} received {badge_text(award)} from {giver}!"
    if award.comment:
        text += "\n" + quote(award.comment, 2500)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def recipient_dm_blocks(award: Award) -> list[Block]:
    """The DM a recipient gets when an award reaches them."""
    text = f":tada: You received {badge_text(award)} from {party_text(award.giver)}!"
    if award.comment:
        text += "\n" + quote(award.comment, 2500)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def giver_decision_text(award: Award) -> str:
    """The DM the giver gets after an approver decided."""
    base = f"{badge_text(award)} for {recipients_text(award)}"
    if award.status == "approved":
        return f":white_check_mark: Your award of {base} was approved."
    if award.status == "rejected":
        reason = f" Reason: {escape(award.reason)}" if award.reason else ""
        return f":x: Your award of {base} was not approved.{reason}"
    return f":information_source: Your award of {base} was already handled in Quantive."


def give_modal(
    *,
    channel_id: str | None,
    user_ids: list[str] | None = None,
    badge: tuple[str, str] | None = None,
    comment: str = "",
    notice: str | None = None,
    looking_up: str | None = None,
) -> dict[str, Any]:
    """The give modal, prefilled with what was understood; ``badge`` is (id, name).

    With ``looking_up`` (the badge name as typed) it is the stand-in opened while the
    catalogue loads: no fields, since the full form replaces it (views.update keeps what
    was typed into an input with the same ids, and would ignore the prefilled badge).
    """
    if looking_up is not None:
        typed = escape(truncate(looking_up, 100))
        text = f":hourglass_flowing_sand: Looking up “{typed}” among Quantive's badges…"
        return message_modal(
            "Give a badge",
            truncate(text, 2000),
            close="Cancel",
            callback_id=GIVE_MODAL,
            private_metadata=json.dumps({"channel": channel_id}),
        )
    users_element: Block = {
        "type": "multi_users_select",
        "action_id": "users",
        "placeholder": {"type": "plain_text", "text": "Who deserves it?"},
    }
    if user_ids:
        users_element["initial_users"] = user_ids
    badge_element: Block = {
        "type": "external_select",
        "action_id": BADGE_OPTIONS,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": "Pick a badge"},
    }
    if badge:
        badge_element["initial_option"] = option(badge[1], badge[0])
    comment_element: Block = {
        "type": "plain_text_input",
        "action_id": "comment",
        "multiline": True,
        "max_length": 1000,
    }
    if comment:
        comment_element["initial_value"] = comment[:1000]
    blocks: list[Block] = []
    if notice:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(notice)[:2000]}]}
        )
    blocks += [
        input_block("recipients", "Recipients", users_element),
        input_block("badge", "Badge", badge_element),
        input_block("comment", "Why?", comment_element, optional=True),
    ]
    metadata = json.dumps({"channel": channel_id})
    return form_modal(GIVE_MODAL, "Give a badge", "Give", blocks, private_metadata=metadata)


def reject_modal(assignment_id: str, award: Award | None) -> dict[str, Any]:
    """The modal asking for an optional reason before a rejection."""
    summary = award_sentence(award) if award else "Reject this badge award?"
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": summary}},
        {
            # Its own key order (the label before the element), as it has always been sent.
            "type": "input",
            "block_id": "reason",
            "optional": True,
            "label": {"type": "plain_text", "text": "Reason (shared with the giver)"},
            "element": {
                "type": "plain_text_input",
                "action_id": "reason",
                "multiline": True,
                "max_length": 500,
            },
        },
    ]
    metadata = json.dumps({"assignment_id": assignment_id})
    return form_modal(REJECT_MODAL, "Reject award", "Reject", blocks, private_metadata=metadata)


def option(text: str, value: str) -> Block:
    """A select option, within Slack's lengths."""
    return {"text": {"type": "plain_text", "text": truncate(text, 75)}, "value": value[:150]}
