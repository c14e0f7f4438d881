"""Workflow Builder's side of a custom step in tests: the ``function_executed`` body Slack
sends when a workflow reaches badgebot's give_badge step."""

from __future__ import annotations

import time
from typing import Any

#: The token Slack hands each execution; completions must be made with it.
STEP_TOKEN = "xwfp-step-token-0123456789"


def step_body(
    inputs: dict[str, Any], execution_id: str, event_id: str | None = None, team: str = "T1"
) -> dict[str, Any]:
    """The Events API body Slack sends when a workflow reaches the give_badge step."""
    return {
        "token": "unused",
        "team_id": team,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id or f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
        "event": {
            "type": "function_executed",
            "function": {
                "id": "Fn0001",
                "callback_id": "give_badge",
                "title": "Give a badge",
                "type": "app",
                "app_id": "A1",
            },
            "inputs": inputs,
            "function_execution_id": execution_id,
            "workflow_execution_id": f"Wx{execution_id}",
            "event_ts": f"{time.time():.6f}",
            "bot_access_token": STEP_TOKEN,
        },
    }
