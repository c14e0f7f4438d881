"""Slack's Block Kit limits, enforced on the final text: after escaping, after joining.

Escaping can make text five times longer (``&`` becomes ``&amp;``), so a limit checked on
the raw text is no limit. Everything the bot posts passes through :func:`fit_blocks`, and
a cut never splits an escape (``&amp;``) or a reference (``<@U123>``).
"""

from __future__ import annotations

import copy
import re
from typing import Any

Block = dict[str, Any]

MESSAGE_BLOCKS = 50
SECTION_TEXT = 3000
SECTION_FIELD = 2000
SECTION_FIELDS = 10
CONTEXT_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
ACTIONS_ELEMENTS = 25
#: Slack truncates a message's ``text`` beyond 40,000; a notification needs far less.
FALLBACK_TEXT = 3000
MARKER = "…"

_OPEN_TOKEN = re.compile(r"(<[^>]*|&[#a-zA-Z0-9]{0,8})$")


def fit_mrkdwn(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with "…" when cut, and never in
    the middle of an escape or a ``<...>`` reference."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(MARKER), 0)]
    cut = _OPEN_TOKEN.sub("", cut)
    return cut.rstrip() + MARKER


def _fit_text_object(obj: Any, limit: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = fit_mrkdwn(obj["text"], limit)


def fit_blocks(blocks: list[Block] | None, max_blocks: int = MESSAGE_BLOCKS) -> list[Block] | None:
    """A copy of ``blocks`` within Slack's limits: block count, section and field text,
    context, header and button text, and elements per actions block."""
    if blocks is None:
        return None
    fitted = copy.deepcopy(blocks[:max_blocks])
    for block in fitted:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "section":
            _fit_text_object(block.get("text"), SECTION_TEXT)
            fields = block.get("fields")
            if isinstance(fields, list):
                block["fields"] = fields[:SECTION_FIELDS]
                for field in block["fields"]:
                    _fit_text_object(field, SECTION_FIELD)
        elif kind == "context":
            for element in block.get("elements") or []:
                _fit_text_object(element, CONTEXT_TEXT)
        elif kind == "header":
            _fit_text_object(block.get("text"), HEADER_TEXT)
        elif kind == "actions":
            block["elements"] = (block.get("elements") or [])[:ACTIONS_ELEMENTS]
            for element in block["elements"]:
                if isinstance(element, dict):
                    _fit_text_object(element.get("text"), BUTTON_TEXT)
    return fitted


def fit_fallback(text: str) -> str:
    """A message's top-level ``text`` (its notification), within a sane length."""
    return fit_mrkdwn(text, FALLBACK_TEXT)
