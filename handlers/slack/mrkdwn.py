"""Slack mrkdwn helpers: escaping user text, mentions, and flattening references to names."""

from __future__ import annotations

import re
from collections.abc import Mapping

from handlers.slack.block_limits import fit_mrkdwn

_REFERENCE = re.compile(r"<([^<>]*)>")


def escape(text: str) -> str:
    """Escape exactly ``&``, ``<`` and ``>``, so user text cannot ping or fake a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """A user mention."""
    return f"<@{user_id}>"


def quote(text: str, limit: int = 2500) -> str:
    """User text as an escaped mrkdwn block quote of at most ``limit`` characters, counted
    after escaping."""
    quoted = "\n".join(f">{line}" for line in escape(text).splitlines() or [""])
    return fit_mrkdwn(quoted, limit)


def escape_within(text: str, limit: int) -> str:
    """``text`` escaped, then cut to ``limit`` characters without splitting an escape."""
    return fit_mrkdwn(escape(text), limit)


def plain_mentions(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack's references turned into plain text, for systems outside Slack.

    ``<@U1|bob>`` and ``<@U1>`` become ``@bob`` (names supplies labels that Slack left out),
    ``<#C1|general>`` becomes ``#general``, ``<!subteam^S1|@team>`` becomes ``@team``,
    ``<!channel>`` becomes ``@channel``, and ``<https://x|label>`` becomes ``label (https://x)``.
    Slack's own escapes (``&amp;`` and friends) are undone last.
    """
    names = names or {}

    def flatten(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or names.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label if label.startswith("@") else "@" + (label or "group")
        if target.startswith("!"):
            return "@" + (label.lstrip("@") or target[1:])
        return f"{label} ({target})" if label else target

    flat = _REFERENCE.sub(flatten, text)
    return flat.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned_user_ids(text: str) -> list[str]:
    """User ids referenced in ``text`` without a label (their names must be looked up)."""
    return re.findall(r"<@([UW][A-Z0-9]+)>", text)
