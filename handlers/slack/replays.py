"""Recognising a Slack request that was already handled: a replay of a signed request, or
an Events API retry. The keys are kept for bot.recovery.REPLAY_WINDOW."""

from __future__ import annotations

from typing import Any


def replay_key(payload: dict[str, Any]) -> str | None:
    """What makes one invocation unique: its trigger_id (commands, clicks, forms) or its
    event_id (Events API, whose retries repeat the id). None for options requests."""
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    trigger = payload.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        return f"trigger:{trigger}"
    return None
