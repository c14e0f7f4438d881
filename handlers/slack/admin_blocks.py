"""Block Kit for the badge admins: the badge editor modal and the confirmations of
deleting a badge and revoking an award."""

from __future__ import annotations

import json
from typing import Any

from bot.badge_editor import BACKGROUNDS, PATTERNS
from handlers.slack.block_limits import Block
from handlers.slack.blocks import ICON_EMOJI, option, question_blocks
from handlers.slack.modals import form_modal, input_block

BADGE_EDITOR = "badge_editor"
DELETE_BADGE_ACTION = "delete_badge"
REVOKE_AWARD_ACTION = "revoke_award"
CANCEL_ACTION = "cancel_admin_action"


def badge_editor_modal(badge: Any | None, channel_id: str | None) -> dict[str, Any]:
    """The create or edit modal; ``badge`` prefills it for editing."""

    def select(block_id: str, label: str, choices: dict[str, str], current: str) -> Block:
        element: Block = {
            "type": "static_select",
            "action_id": block_id,
            "options": [option(text, value) for value, text in choices.items()],
        }
        if current in choices:
            element["initial_option"] = option(choices[current], current)
        return {
            "type": "input",
            "block_id": block_id,
            "optional": True,
            "element": element,
            "label": {"type": "plain_text", "text": label},
        }

    name: Block = {"type": "plain_text_input", "action_id": "name", "max_length": 60}
    summary: Block = {
        "type": "plain_text_input",
        "action_id": "summary",
        "multiline": True,
        "max_length": 500,
    }
    if badge is not None:
        name["initial_value"] = badge.name
        if badge.summary:
            summary["initial_value"] = badge.summary
    icons = {icon: f"{icon}" for icon in ICON_EMOJI}
    blocks = [
        input_block("name", "Name", name),
        input_block("summary", "What is it for?", summary, optional=True),
        select("icon", "Icon", icons, badge.icon if badge else ""),
        select("background", "Background colour", BACKGROUNDS, badge.background if badge else ""),
        select("pattern", "Pattern", {p: p for p in PATTERNS}, badge.pattern if badge else ""),
    ]
    return form_modal(
        BADGE_EDITOR,
        "Edit badge" if badge else "New badge",
        "Save" if badge else "Create",
        blocks,
        private_metadata=json.dumps(
            {"badge_id": badge.id if badge else None, "channel": channel_id}
        ),
    )


def confirm_blocks(text: str, action_id: str, value: str, button: str) -> list[Block]:
    """An ephemeral question with a danger button (behind Slack's confirm dialog) and Cancel."""
    # Its buttons keep their own key order (the value before the words), as always sent.
    return question_blocks(
        text,
        [
            {
                "type": "button",
                "action_id": action_id,
                "style": "danger",
                "value": value[:2000],
                "text": {"type": "plain_text", "text": button},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Are you sure?"},
                    "text": {"type": "plain_text", "text": "This cannot be undone."},
                    "confirm": {"type": "plain_text", "text": button},
                    "deny": {"type": "plain_text", "text": "Keep it"},
                    "style": "danger",
                },
            },
            {
                "type": "button",
                "action_id": CANCEL_ACTION,
                "value": "cancel",
                "text": {"type": "plain_text", "text": "Cancel"},
            },
        ],
    )
