"""``/badge help`` and the answer to an unknown subcommand."""

from __future__ import annotations

import difflib

from handlers.slack.mrkdwn import escape

#: Every subcommand with an example; the help text and "did you mean" read this.
USAGE: dict[str, tuple[str, str]] = {
    "give": (
        "`/badge give @maria Visionary thanks for the launch`",
        "give a badge (or just `/badge @maria ...`); `/badge` alone opens a form",
    ),
    "list": ("`/badge list`", "every badge in the catalogue"),
    "who": ("`/badge who Visionary`", "who holds a badge"),
    "mine": ("`/badge mine` · `/badge @maria`", "the badges you (or someone) hold"),
    "pending": (
        "`/badge pending`",
        "awards waiting for approval (approvers see all, with buttons)",
    ),
    "top": (
        "`/badge top` · `/badge top week`",
        "the most recognised people and teams, all time or this week, month, quarter, year",
    ),
    "create": ("`/badge create`", "add a badge (admins)"),
    "edit": ("`/badge edit Visionary`", "change a badge (admins)"),
    "delete": ("`/badge delete Visionary`", "delete a badge, after confirming (admins)"),
    "revoke": ("`/badge revoke @maria Visionary`", "take an award back (admins)"),
    "digest": (
        "`/badge digest here` · `/badge digest off` · `/badge digest`",
        "subscribe this channel to the morning digest of pending awards (approvers)",
    ),
    "export": ("`/badge export 2026-01-01`", "the awards given through badgebot, as CSV (admins)"),
    "help": ("`/badge help`", "this list"),
}


def help_text() -> str:
    """Every subcommand with an example."""
    lines = ["*What `/badge` can do*"]
    lines += [f"• {example} — {what}" for example, what in USAGE.values()]
    return "\n".join(lines)


def unknown_subcommand_text(verb: str) -> str:
    """Help for a subcommand that does not exist, with the closest ones."""
    close = difflib.get_close_matches(verb, list(USAGE), n=2, cutoff=0.5)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return f"I don't know `/badge {escape(verb)}`.{hint}\n\n{help_text()}"
