"""Sentences the Teams front end sends as plain text (no markup, so names and badge names
from Quantive are shown exactly as they are)."""

from __future__ import annotations

from bot.awards import Award, truncate


def award_words(award: Award) -> str:
    """ "“Visionary” for Maria and Liam", for plain-text replies."""
    names = [r.name for r in award.recipients] or ["nobody"]
    people = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"“{award.badge_name}” for {people}"


def unknown_badge_text(typed: str, suggestions: list[str], example: str) -> str:
    """ "No badge called X; did you mean ...", with how to get the list."""
    if not typed.strip():
        return f"Which badge? For example: {example} Visionary."
    hint = ""
    if suggestions:
        hint = " Did you mean " + ", ".join(f"“{s}”" for s in suggestions) + "?"
    first = truncate(" ".join(typed.split()[:3]), 80)
    return (
        f"I don't know a badge called “{first}”.{hint} Send “list” to see every badge; put "
        'a long name in quotes, e.g. give @Maria "Team Player" thanks!'
    )
