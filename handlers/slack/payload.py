"""Safe reading of Slack payloads: a missing or oddly shaped part reads as the default."""

from __future__ import annotations

import json
from typing import Any


def dig(obj: Any, *keys: str, default: Any = None) -> Any:
    """``obj[k1][k2]...``, or ``default`` when any level is missing or not a dict."""
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return default if obj is None else obj


def field_value(view: dict[str, Any], block_id: str, action_id: str) -> Any:
    """The submitted state of one input: its value, selection or selected users."""
    element = dig(view, "state", "values", block_id, action_id, default={})
    if not isinstance(element, dict):
        return None
    for key in ("value", "selected_users", "selected_user", "selected_option"):
        if key in element:
            return element[key]
    return None


def private_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The view's private_metadata as the dict the bot wrote, or {} if it is not one."""
    try:
        data = json.loads(dig(view, "private_metadata", default="") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def first_input_block(view: Any) -> str | None:
    """The block id of a form's first input, where Slack can show an error text."""
    for block in (view.get("blocks") if isinstance(view, dict) else None) or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None
