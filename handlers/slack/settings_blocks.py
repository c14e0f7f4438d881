"""The workspace's settings in Slack: the summary on an admin's Home tab, the modal that
changes them (pickers for people and channels, never typed ids) and reading it back.

Each input's block_id and action_id is the setting's name (bot.workspace_settings),
except the recap's, which is a weekday select and a time picker joined on reading.
"""

from __future__ import annotations

from typing import Any

from bot.setting_rules import SLACK_CHANNEL, SLACK_USER, WEEKDAYS
from bot.workspace_settings import BY_NAME, EDITABLE, Current, Editable, editable_for
from handlers.slack.block_limits import Block, fit_mrkdwn
from handlers.slack.blocks import button
from handlers.slack.modals import form_modal
from handlers.slack.mrkdwn import escape, mention
from handlers.slack.payload import dig

SETTINGS_OPEN = "workspace_settings_open"
SETTINGS_MODAL = "workspace_settings"
RECAP_DAY, RECAP_CLOCK = "recap_day", "recap_clock"
#: Where the form shows a problem with each setting (the recap's goes under its time).
ERROR_BLOCK = {e.name: e.name for e in EDITABLE} | {"recap_time": RECAP_CLOCK}

_DAYS = {"mon-fri": "Weekdays", "mon-sun": "Every day", "mon": "Mondays only"}
_MODES = {"quantive": "Quantive's approval queue", "bot": "The bot holds awards until approved"}
#: Slack's settings (Teams' are changed in Teams, with its own names for people).
SLACK_EDITABLE = editable_for("slack")
_GROUPS = (
    ("Who and where", SLACK_EDITABLE[:6]),
    ("When, and how much", SLACK_EDITABLE[6:]),
)


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text[:75]), "value": value}


def shown_value(editable: Editable, value: Any) -> str:
    """A setting's value as escaped mrkdwn: people as mentions (a Home view pings
    nobody), channels as channel links."""
    if editable.kind == "users":
        names = [mention(v) if SLACK_USER.fullmatch(v) else escape(v) for v in value]
        if not names:
            return "the approvers" if editable.name == "badge_admins" else "nobody"
        return ", ".join(names)
    if editable.kind in ("channel", "channels"):
        channels = [value] if isinstance(value, str) else list(value or [])
        links = [f"<#{c}>" if SLACK_CHANNEL.fullmatch(c) else escape(c) for c in channels]
        return ", ".join(links) or "none"
    if value is None:
        return "same as the digest" if editable.name == "recap_timezone" else "no limit"
    if editable.kind == "approval":
        return escape(_MODES.get(value, value))
    return escape(str(value))


def settings_summary_blocks(current: list[Current]) -> list[Block]:
    """An admin's Home section: each setting now, the environment's marked (default)."""
    by_name = {c.editable.name: c for c in current}
    blocks: list[Block] = [
        {"type": "divider"},
        {"type": "header", "text": _plain("Settings")},
    ]
    for _title, group in _GROUPS:
        lines = []
        for editable in group:
            now = by_name.get(editable.name)
            if now is None:
                continue
            default = " _(default)_" if now.is_default else ""
            lines.append(f"*{editable.label}:* {shown_value(editable, now.value)}{default}")
        text = fit_mrkdwn("\n".join(lines), 3000)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    blocks.append(
        {"type": "actions", "elements": [button(SETTINGS_OPEN, "Change settings", "settings")]}
    )
    return blocks


def _input(editable: Editable, element: dict[str, Any], hint: str | None = None) -> Block:
    block: Block = {
        "type": "input",
        "block_id": editable.name,
        "optional": editable.optional,
        "label": _plain(editable.label),
        "element": {"action_id": editable.name, **element},
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _picker(editable: Editable, value: Any) -> dict[str, Any]:
    if editable.kind == "users":
        element: dict[str, Any] = {"type": "multi_users_select"}
        users = [v for v in value if SLACK_USER.fullmatch(v)]
        if users:
            element["initial_users"] = users
        return element
    many = editable.kind == "channels"
    element = {
        "type": "multi_conversations_select" if many else "conversations_select",
        "filter": {"include": ["public"], "exclude_bot_users": True},
        "default_to_current_conversation": False,
    }
    channels = [
        c for c in (value if many else [value] if value else []) if SLACK_CHANNEL.fullmatch(c)
    ]
    if channels:
        element["initial_conversations" if many else "initial_conversation"] = (
            channels if many else channels[0]
        )
    return element


def _select(choices: dict[str, str], value: str) -> dict[str, Any]:
    options = [_option(text, key) for key, text in choices.items()]
    if value not in choices:  # a value set in the environment that the list lacks
        options.append(_option(value, value))
    chosen = next(o for o in options if o["value"] == value)
    return {"type": "static_select", "options": options, "initial_option": chosen}


def _clock(value: str) -> str:
    """HH:MM with two-digit hours, as the time picker wants it."""
    hour, _, minute = value.partition(":")
    return f"{int(hour):02d}:{minute}" if hour.isdigit() else "09:00"


def _text(value: str | None, placeholder: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "placeholder": _plain(placeholder)}
    if value:
        element["initial_value"] = value
    return element


def settings_form(current: list[Current], problem: str | None = None) -> dict[str, Any]:
    """The settings modal, filled in with the values now; ``problem`` atop it when the
    last save failed."""
    now = {c.editable.name: c.value for c in current}
    blocks: list[Block] = []
    if problem:
        text = f":warning: {escape(problem)}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    for editable in SLACK_EDITABLE:
        value = now.get(editable.name)
        name = editable.name
        if editable.kind in ("users", "channel", "channels"):
            hint = "Nobody: the approvers are the admins." if name == "badge_admins" else None
            blocks.append(_input(editable, _picker(editable, value), hint))
        elif editable.kind == "approval":
            blocks.append(_input(editable, _select(_MODES, value or "quantive")))
        elif editable.kind == "days":
            blocks.append(_input(editable, _select(_DAYS, value or "mon-fri")))
        elif editable.kind == "time":
            blocks.append(_input(editable, {"type": "timepicker", "initial_time": _clock(value)}))
        elif editable.kind == "weekday_time":
            day, _, clock = (value or "fri 16:00").partition(" ")
            blocks += _recap_inputs(day, clock)
        elif editable.kind == "timezone":
            placeholder = "Same as the digest" if editable.optional else "Europe/Berlin"
            blocks.append(_input(editable, _text(value, placeholder), "An IANA name."))
        else:
            blocks.append(
                _input(editable, _text(value, "5/week"), "Per day, week or month; empty: none.")
            )
    return form_modal(SETTINGS_MODAL, "Settings", "Save", blocks)


def _recap_inputs(day: str, clock: str) -> list[Block]:
    days = {d: d.capitalize() for d in WEEKDAYS}
    return [
        {
            "type": "input",
            "block_id": RECAP_DAY,
            "label": _plain("Recap day"),
            "element": {"action_id": RECAP_DAY, **_select(days, day)},
        },
        {
            "type": "input",
            "block_id": RECAP_CLOCK,
            "label": _plain("Recap time"),
            "element": {
                "action_id": RECAP_CLOCK,
                "type": "timepicker",
                "initial_time": _clock(clock),
            },
        },
    ]


def _state(view: dict[str, Any], block: str) -> dict[str, Any] | None:
    element = dig(view, "state", "values", block, block)
    return element if isinstance(element, dict) else None


def form_changes(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted values by setting name, as bot.workspace_settings.validate takes
    them; a setting whose input is missing from the state is left out (not changed)."""
    changes: dict[str, Any] = {}
    for editable in SLACK_EDITABLE:
        if editable.kind == "weekday_time":
            day = dig(_state(view, RECAP_DAY) or {}, "selected_option", "value", default="")
            clock = dig(_state(view, RECAP_CLOCK) or {}, "selected_time", default="")
            if _state(view, RECAP_DAY) is not None or _state(view, RECAP_CLOCK) is not None:
                changes[editable.name] = f"{day} {clock}".strip()
            continue
        element = _state(view, editable.name)
        if element is None:
            continue
        changes[editable.name] = _element_value(editable, element)
    return changes


def _element_value(editable: Editable, element: dict[str, Any]) -> Any:
    if editable.kind == "users":
        return element.get("selected_users") or []
    if editable.kind == "channels":
        return element.get("selected_conversations") or []
    if editable.kind == "channel":
        return element.get("selected_conversation")
    if editable.kind == "time":
        return element.get("selected_time") or ""
    if editable.kind in ("approval", "days"):
        return dig(element, "selected_option", "value", default="")
    return element.get("value") or ""


def field_errors(problems: dict[str, str]) -> dict[str, str]:
    """Problems by setting name as the modal's errors, by block id."""
    return {ERROR_BLOCK.get(name, name): text[:150] for name, text in problems.items()}


def first_block() -> str:
    """The block that carries a problem of the whole form."""
    return BY_NAME["badge_approvers"].name
