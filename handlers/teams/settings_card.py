"""The workspace's settings in Teams as an Adaptive Card form (the twin of
handlers/slack/settings_blocks.py), and reading its submission back.

Each input's id is the setting's name (bot.workspace_settings), except the recap's, which
is a weekday choice and a time joined on reading. People are typed as emails: Adaptive
Cards' only people picker (``Data.Query`` on ``graph.microsoft.com/users``) works only in
a dialog of an app with Graph consent, not in a message card, so the form takes emails
(or Entra object ids), comma-separated, and the core checks each one.

What the form shows of people's text (the values, and the problems that quote them) goes
into input values and TextRuns only, never markdown (see handlers.teams.cards).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.setting_rules import WEEKDAYS
from bot.workspace_settings import Current, Editable, editable_for
from handlers.teams import cards
from handlers.teams.cards import run

#: The verb of the form's Save button.
SETTINGS_VERB = "save_settings"
#: Teams' settings, in the order the form shows them.
TEAMS_EDITABLE = editable_for("teams")
RECAP_DAY, RECAP_CLOCK = "recap_day", "recap_clock"
#: Where the form shows a problem with each setting (the recap's goes under its time).
PROBLEM_AT = {e.name: e.name for e in TEAMS_EDITABLE} | {"recap_time": RECAP_CLOCK}
#: Longest value an input takes (a long list of emails fits; a pasted novel does not).
MAX_INPUT = 2000

_DAYS = {"mon-fri": "Weekdays", "mon-sun": "Every day", "mon": "Mondays only"}
_MODES = {"quantive": "Quantive's approval queue", "bot": "badgebot holds awards until approved"}
_HINTS = {
    "teams_approvers": "Emails (or Entra object ids), comma-separated.",
    "teams_admins": "Emails, comma-separated. Empty: the approvers are the admins.",
    "teams_approval_conversation": (
        "A channel's conversation id (19:…@thread.tacv2). Empty: each approver in their chat."
    ),
    "teams_announce_conversation": (
        "A channel's conversation id. Empty: where the badge was given."
    ),
    "digest_timezone": "An IANA name, such as Europe/Berlin.",
    "recap_timezone": "An IANA name. Empty: the digest's.",
    "badge_give_limit": "Per day, week or month, such as 5/week. Empty: no limit.",
    "badge_give_limit_exempt": "Emails, comma-separated; approvers are never limited.",
}


def shown_value(editable: Editable, value: Any) -> str:
    """A setting's value in words, as plain text (for a TextRun or an input's value)."""
    if editable.kind in ("users", "teams_users"):
        if not value:
            return "the approvers" if editable.name == "teams_admins" else "nobody"
        return ", ".join(value)
    if value is None or value == "":
        if editable.name == "recap_timezone":
            return "same as the digest"
        return "no limit" if editable.kind == "limit" else "none"
    if editable.kind == "approval":
        return _MODES.get(value, value)
    if editable.kind == "days":
        return _DAYS.get(value, value)
    return str(value)


def _typed(editable: Editable, value: Any) -> str:
    """What an input holds for ``value``: lists joined, nothing for none."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _clock(value: str) -> str:
    """HH:MM with two-digit hours, as Input.Time wants it."""
    hour, _, minute = value.partition(":")
    return f"{int(hour):02d}:{minute}" if hour.isdigit() and minute else value


def _label(editable: Editable, is_default: bool) -> str:
    return f"{editable.label} (default)" if is_default else editable.label


def _choices(options: Mapping[str, str], value: str) -> list[dict[str, str]]:
    choices = [{"title": title, "value": key} for key, title in options.items()]
    if value and value not in options:  # a value set in the environment the list lacks
        choices.append({"title": cards.plain(value, 100), "value": cards.plain(value, 100)})
    return choices


def _inputs(editable: Editable, value: str, is_default: bool) -> list[cards.Element]:
    """The input (or two, for the recap) of one setting, holding ``value`` as typed."""
    name, label = editable.name, _label(editable, is_default)
    base: cards.Element = {"id": name, "label": label, "isRequired": not editable.optional}
    if editable.kind == "time":
        return [{**base, "type": "Input.Time", "value": _clock(value)}]
    if editable.kind in ("days", "approval"):
        options = _DAYS if editable.kind == "days" else _MODES
        return [
            {
                **base,
                "type": "Input.ChoiceSet",
                "style": "compact",
                "choices": _choices(options, value),
                "value": cards.plain(value, 100),
            }
        ]
    if editable.kind == "weekday_time":
        day, _, clock = value.partition(" ")
        return [
            {
                "type": "Input.ChoiceSet",
                "id": RECAP_DAY,
                "label": f"Recap day{' (default)' if is_default else ''}",
                "style": "compact",
                "isRequired": True,
                "choices": _choices({d: d.capitalize() for d in WEEKDAYS}, day),
                "value": cards.plain(day, 100),
            },
            {
                "type": "Input.Time",
                "id": RECAP_CLOCK,
                "label": f"Recap time{' (default)' if is_default else ''}",
                "isRequired": True,
                "value": _clock(clock),
            },
        ]
    element: cards.Element = {**base, "type": "Input.Text", "maxLength": MAX_INPUT}
    if value:
        element["value"] = cards.plain(value, MAX_INPUT)
    return [element]


def settings_card(
    current: list[Current],
    typed: Mapping[str, Any] | None = None,
    problems: Mapping[str, str] | None = None,
) -> cards.Card:
    """The form, filled in with the values now, or with what was ``typed`` when the last
    try had ``problems`` (each shown under its field, by setting name)."""
    typed = typed or {}
    problems = problems or {}
    by_name = {c.editable.name: c for c in current}
    body: list[cards.Element] = [cards.heading("badgebot settings")]
    body.append(
        cards.note(
            "These apply to everyone from the moment you save. A value marked (default) is "
            "the deployment's; change it here to override it."
        )
    )
    shown_at = {PROBLEM_AT.get(name, name): text for name, text in problems.items()}
    unplaced = [t for n, t in problems.items() if n not in PROBLEM_AT]
    if unplaced:
        body.append(_problem(" ".join(unplaced)))
    for editable in TEAMS_EDITABLE:
        now = by_name.get(editable.name)
        if now is None:
            continue
        value = typed.get(editable.name, now.value)
        inputs = _inputs(editable, _typed(editable, value), now.is_default)
        for element in inputs:
            body.append(element)
            if element["id"] in shown_at:
                body.append(_problem(shown_at[element["id"]]))
        hint = _HINTS.get(editable.name)
        if hint:
            body.append({**cards.note(hint), "isSubtle": True, "size": "Small", "spacing": "None"})
    save = cards.execute_action("Save", SETTINGS_VERB, style="positive")
    return cards.card(body, [save, cards.cancel_action()])


def _problem(text: str) -> cards.Element:
    # A problem may quote what was typed: a run, never markdown.
    return cards.rich({**run(f"⚠️ {text}", bold=True), "color": "Attention"})


def saved_card(current: list[Current]) -> cards.Card:
    """What replaces the form once saved: each setting now, the defaults marked."""
    by_name = {c.editable.name: c for c in current}
    body: list[cards.Element] = [cards.heading("✅ Settings saved. They apply from now on.")]
    for editable in TEAMS_EDITABLE:
        now = by_name.get(editable.name)
        if now is None:
            continue
        default = [run(" (default)", italic=True, subtle=True)] if now.is_default else []
        body.append(
            cards.rich(
                run(f"{editable.label}: ", bold=True),
                run(shown_value(editable, now.value)),
                *default,
            )
        )
    return cards.card(body)


def card_changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted values by setting name, as bot.workspace_settings.validate takes
    them; a setting whose input is missing from ``data`` is left out (not changed)."""
    changes: dict[str, Any] = {}
    for editable in TEAMS_EDITABLE:
        if editable.kind == "weekday_time":
            if RECAP_DAY in data or RECAP_CLOCK in data:
                day, clock = data.get(RECAP_DAY), data.get(RECAP_CLOCK)
                if isinstance(day, str | None) and isinstance(clock, str | None):
                    changes[editable.name] = f"{day or ''} {clock or ''}".strip()
                else:
                    changes[editable.name] = [day, clock]  # not text: validate says so
            continue
        if editable.name in data:
            changes[editable.name] = data[editable.name]
    return changes
