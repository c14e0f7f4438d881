"""The checks a Slack request passes before Bolt sees it: its signature, the shape of its
payload (Bolt and the listeners index into it unchecked), and the workspace it names."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from slack_sdk.signature import SignatureVerifier

from bot.workspaces import slack_workspace
from handlers.slack.payload import dig


def signature_is_valid(
    verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]
) -> bool:
    """Slack's signature check, false (never an exception) for any malformed header."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp.isdigit() or len(timestamp) > 12 or not signature:
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, TypeError, UnicodeError):
        return False


#: The payload types whose listeners read ``user.id``; Slack always sends it.
_PAYLOADS_WITH_USER = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    }
)


def parse_slack_body(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The request as Bolt will read it, or None when Bolt would trip on it.

    JSON events, slash commands, and interactive payloads whose JSON has the shape Slack
    always sends (Bolt and the listeners index into it unchecked).
    """
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            event = json.loads(text or "{}")
            return event if isinstance(event, dict) else None
        form = urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=False)
        if "payload" not in form:
            flat = {k: v[0] for k, v in form.items()}
            if "command" in flat and not flat.get("user_id"):
                return None
            return flat
        payload = json.loads(form["payload"][0])
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    for part in ("user", "team", "channel", "message", "container", "view"):
        if part in payload and not isinstance(payload[part], dict):
            return None
    kind = payload.get("type")
    if kind in _PAYLOADS_WITH_USER and not isinstance((payload.get("user") or {}).get("id"), str):
        return None
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not (isinstance(view, dict) and isinstance(view.get("type"), str)):
            return None
    if kind == "block_actions":
        actions = payload.get("actions")
        if not (
            isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)
        ):
            return None
    return payload


def payload_workspace(payload: dict[str, Any]) -> str | None:
    """The workspace key a raw payload names (commands, interactions and events name
    their team, and their org when installed org-wide); None when it names none."""
    team = payload.get("team_id") or dig(payload, "team", "id") or dig(payload, "user", "team_id")
    enterprise = payload.get("enterprise_id") or dig(payload, "enterprise", "id")
    org_wide = payload.get("is_enterprise_install") in (True, "true") or any(
        isinstance(a, dict) and a.get("is_enterprise_install") is True
        for a in payload.get("authorizations") or []
    )
    return slack_workspace(
        team if isinstance(team, str) else None,
        enterprise if isinstance(enterprise, str) else None,
        org_wide,
    )
