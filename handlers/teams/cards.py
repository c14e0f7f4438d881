"""Pure functions that build Adaptive Cards (1.5) for messages about awards: the twins of
handlers/slack/blocks.py, named alike (``approval_request_blocks`` there,
``approval_request_card`` here).

Text from people or from Quantive only ever goes into a ``TextRun``, which Adaptive Cards
never read as markdown, so a comment cannot become a link or a heading; and ``<at>`` tags
are broken up, because the bot never means to mention anyone from a card. TextBlocks and
FactSets (Teams reads markdown in both, a fact's title and value included) carry only the
bot's own words.
"""

from __future__ import annotations

import re
from typing import Any

from bot.awards import Award, Party, truncate

Card = dict[str, Any]
Element = dict[str, Any]
Activity = dict[str, Any]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"

#: The verbs of the bot's Action.Execute buttons (sent as ``verb`` and as ``data.action``).
APPROVE_VERB = "approve"
REJECT_VERB = "reject"
HOME_VERB = "home"
DELETE_BADGE_VERB = "delete_badge"
REVOKE_VERB = "revoke"
CANCEL_VERB = "cancel"

#: Quantive's icon names as characters (Teams shows no Slack-style :emoji: codes).
ICON_CHARACTERS = {
    "handshake": "🤝",
    "telescope": "🔭",
    "puzzle": "🧩",
    "lightbulb": "💡",
    "graduation-cap": "🎓",
    "rocket": "🚀",
    "heart": "❤️",
    "star": "🌟",
    "target": "🎯",
    "trophy": "🏆",
    "crown": "👑",
    "fire": "🔥",
    "medal": "🏅",
    "thumbs-up": "👍",
    "sparkles": "✨",
}
DEFAULT_CHARACTER = "🏅"

#: How much of a comment a card quotes (Teams refuses activities over about 28 KB).
COMMENT_LIMIT = 1000

_AT_TAG = re.compile(r"<(/?)(at)\b", re.IGNORECASE)


def plain(text: str, limit: int = 2000) -> str:
    """Text from outside, safe in a TextRun: ``<at>`` tags broken, and length bounded."""
    return _AT_TAG.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}", truncate(text, limit))


def badge_character(icon: str) -> str:
    """The character shown for a Quantive icon name."""
    return ICON_CHARACTERS.get((icon or "").lower(), DEFAULT_CHARACTER)


def run(text: str, *, bold: bool = False, italic: bool = False, subtle: bool = False) -> Element:
    """One run of plain text."""
    element: Element = {"type": "TextRun", "text": plain(text)}
    if bold:
        element["weight"] = "Bolder"
    if italic:
        element["italic"] = True
    if subtle:
        element["isSubtle"] = True
    return element


def rich(*runs: Element) -> Element:
    """A paragraph of runs (a RichTextBlock: no markdown, ever)."""
    return {"type": "RichTextBlock", "inlines": list(runs)}


def heading(text: str) -> Element:
    """A fixed heading of the bot's own words."""
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "size": "Medium", "wrap": True}


def plain_heading(text: str) -> Element:
    """A heading that quotes a name from outside: one bold run, never markdown."""
    return rich({**run(text, bold=True), "size": "Medium"})


def note(text: str) -> Element:
    """A fixed line of the bot's own words (TextBlock: its markdown is ours)."""
    return {"type": "TextBlock", "text": text, "wrap": True}


def card(body: list[Element], actions: list[Element] | None = None) -> Card:
    """An Adaptive Card 1.5."""
    content: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        content["actions"] = actions
    return content


def execute_action(
    title: str, verb: str, data: dict[str, Any] | None = None, style: str | None = None
) -> Element:
    """An Action.Execute button for ``verb``, in the key order the bot has always sent.
    The verb goes in ``data.action`` as well (after the rest of ``data``, or where ``data``
    already has it), which
    handlers.teams.invokes falls back on when a click carries no verb."""
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb}
    if style is not None:
        action["style"] = style
    action["data"] = {**(data or {}), "action": verb}
    return action


def cancel_action() -> Element:
    """The Cancel button of a form or a question, which takes the card away."""
    return execute_action("Cancel", CANCEL_VERB)


def clicked_action(activity: Activity) -> tuple[str, dict[str, Any]]:
    """The verb and the data of a click on an Action.Execute (an ``adaptiveCard/action``
    invoke): the verb from ``action.verb``, else from ``data.action`` where the bot puts
    it too (:func:`execute_action`); the data, the inputs included, {} when it is no dict."""
    action = (activity.get("value") or {}).get("action") or {}
    data = action.get("data") if isinstance(action.get("data"), dict) else {}
    return str(action.get("verb") or data.get("action") or ""), data


def card_message(content: Card, summary: str) -> Activity:
    """A message activity carrying one card; ``summary`` is the notification text."""
    return {
        "type": "message",
        "summary": plain(summary, 200),
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": content}],
    }


def text_message(text: str) -> Activity:
    """A plain message of the bot's own words, with the names it quotes made plain."""
    return {"type": "message", "text": text, "textFormat": "plain"}


def party_runs(party: Party) -> list[Element]:
    """A giver or recipient: always by name (a card mention would ping)."""
    return [run(party.name, bold=True)]


def recipients_runs(award: Award) -> list[Element]:
    """The recipients, joined for a sentence."""
    names = [party_runs(p) for p in award.recipients] or [[run("nobody")]]
    runs: list[Element] = []
    for i, name in enumerate(names):
        if i:
            runs.append(run(" and " if i == len(names) - 1 else ", "))
        runs += name
    return runs


def badge_runs(award: Award) -> list[Element]:
    """The badge with its character, bold."""
    return [run(f"{badge_character(award.badge_icon)} "), run(award.badge_name, bold=True)]


def award_sentence(award: Award, verb: str = "wants to give") -> Element:
    """ "Giver wants to give 🌟 Rockstar to X and Team"."""
    return rich(
        *party_runs(award.giver),
        run(f" {verb} "),
        *badge_runs(award),
        run(" to "),
        *recipients_runs(award),
    )


def comment_block(award: Award) -> list[Element]:
    """The comment as a quote, or nothing."""
    if not award.comment:
        return []
    return [rich(run(f"“{truncate(award.comment, COMMENT_LIMIT)}”", italic=True))]


def decision_line(award: Award) -> Element:
    """The status line of an award's card."""
    who = award.decider_name or "an approver"
    in_quantive = award.decided_by is not None and award.decided_by.via == "quantive"
    if award.status == "approved" and in_quantive:
        return rich(run("✅ Approved in Quantive"))
    if award.status == "rejected" and in_quantive:
        return rich(run("❌ Declined in Quantive"))
    if award.status == "approved":
        return rich(run("✅ Approved by "), run(who, bold=True))
    if award.status == "rejected":
        reason = [run(f": {award.reason}")] if award.reason else []
        return rich(run("❌ Rejected by "), run(who, bold=True), *reason)
    if award.status == "handled":
        return rich(run("\u2139\ufe0f Already handled in Quantive"))
    if award.status == "refused":
        # Approved (or given), but Quantive would not make it: it never counted.
        why = [run(f": {award.reason}")] if award.reason else []
        approved = [run("⛔ Approved by "), run(who, bold=True), run(", but ")]
        opening = approved if award.decided_by is not None else [run("⛔ ")]
        return rich(*opening, run("Quantive refused this award, so it was not made"), *why)
    return rich(run("⏳ Waiting for approval", subtle=True))


def decision_actions(assignment_id: str, source: str = "request") -> list[Element]:
    """Approve, and Reject with an optional reason (a ShowCard, so the reason is typed in
    place before the one Action.Execute that rejects). ``source`` names the card the
    buttons sit on (``request``, ``digest``, ``list``, ``home``), so a click redraws it."""
    data = {"assignment_id": assignment_id, "card": source}
    return [
        execute_action("Approve", APPROVE_VERB, data, style="positive"),
        {
            "type": "Action.ShowCard",
            "title": "Reject",
            "card": {
                "type": "AdaptiveCard",
                "body": [
                    {
                        "type": "Input.Text",
                        "id": "reason",
                        "label": "Reason (optional, the giver sees it)",
                        "maxLength": 500,
                        "isMultiline": True,
                    }
                ],
                "actions": [execute_action("Reject", REJECT_VERB, data, style="destructive")],
            },
        },
    ]


def approval_request_card(award: Award) -> Card:
    """The approval request: who gave what to whom, the comment, and the buttons while
    the award waits; after a decision, who decided and no buttons."""
    verb = "wants to give" if award.waiting else "gave"
    body = [award_sentence(award, verb), *comment_block(award), decision_line(award)]
    return card(body, decision_actions(award.assignment_id) if award.waiting else None)


def approval_request_summary(award: Award) -> str:
    """The notification text of an approval request."""
    state = "waiting for approval" if award.waiting else award.status
    return f"Badge award {state}: {award.badge_name} from {award.giver.name}"


def celebration_card(award: Award) -> Card:
    """The public celebration of an approved award."""
    line = rich(
        run("🎉 "),
        *recipients_runs(award),
        run(" received "),
        *badge_runs(award),
        run(" from "),
        *party_runs(award.giver),
        run("!"),
    )
    return card([line, *comment_block(award)])


def celebration_summary(award: Award) -> str:
    """The notification text of a celebration: no names."""
    return f"{award.badge_name} awarded"


def recipient_dm_card(award: Award) -> Card:
    """The 1:1 message a recipient gets when an award reaches them."""
    line = rich(
        run("🎉 You received "), *badge_runs(award), run(" from "), *party_runs(award.giver)
    )
    return card([line, *comment_block(award)])


def recipient_dm_summary(award: Award) -> str:
    """The notification text of a recipient's message."""
    return f"You received the {award.badge_name} badge from {award.giver.name}"


def giver_decision_card(award: Award) -> Card:
    """The 1:1 message the giver gets after an approver decided."""
    about = [*badge_runs(award), run(" for "), *recipients_runs(award)]
    if award.status == "approved":
        line = rich(run("✅ Your award of "), *about, run(" was approved."))
    elif award.status == "rejected":
        reason = [run(f" Reason: {award.reason}")] if award.reason else []
        line = rich(run("❌ Your award of "), *about, run(" was not approved."), *reason)
    else:
        line = rich(
            run("\u2139\ufe0f Your award of "), *about, run(" was already handled in Quantive.")
        )
    return card([line])


def giver_decision_summary(award: Award) -> str:
    """The notification text of the giver's message after a decision."""
    return f"Your {award.badge_name} award was {award.status}"


def lines_card(
    title: str, lines: list[list[Element]], actions: list[Element] | None = None
) -> Card:
    """A heading and one paragraph per line of runs; the title may quote a name, so it is
    a run too."""
    return card([plain_heading(title), *(rich(*runs) for runs in lines)], actions)


def card_response(content: Card) -> dict[str, Any]:
    """An ``adaptiveCard/action`` answer: this card replaces the clicked one, for the
    person who clicked."""
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": content}


def message_response(text: str) -> dict[str, Any]:
    """An ``adaptiveCard/action`` answer that shows a short message and leaves the card."""
    return {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": plain(text, 500),
    }


def confirm_card(text: list[Element], verb: str, data: dict[str, Any], button: str) -> Card:
    """A question with a destructive button and Cancel (the twin of confirm_blocks)."""
    return card(
        [rich(*text)], [execute_action(button, verb, data, style="destructive"), cancel_action()]
    )
