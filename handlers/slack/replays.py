"""Recognising a Slack request that was already handled: a replay of a signed request, or
an Events API retry. The keys are kept for bot.recovery.REPLAY_WINDOW."""

from __future__ import annotations

from typing import Any

from handlers.slack.command_parser import parse_command

#: ``/badge`` subcommands that only show the person who asked something: a replay of one
#: changes nothing, so none costs a database write on the ack path.
SHOWS_ONLY = frozenset({"help", "list", "who", "mine", "pending", "top"})


def replay_key(payload: dict[str, Any]) -> str | None:
    """What makes one invocation unique: its trigger_id (commands, clicks, forms) or its
    event_id (Events API, whose retries repeat the id). None for options requests, and
    for a command that only shows something."""
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    trigger = payload.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        return None
    text = payload.get("text")
    if "command" in payload and isinstance(text, str) and parse_command(text).verb in SHOWS_ONLY:
        return None
    return f"trigger:{trigger}"
