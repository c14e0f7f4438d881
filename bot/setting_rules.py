"""The rules a setting's value must follow, one function each, shared by the startup check
(bot.settings ``problems_for``) and the settings admins edit per workspace
(bot.workspace_settings): one rule, never two copies that drift apart.

Each rule returns ``None`` when the value is fine, else one human sentence that starts
with ``what``: the environment variable's name at startup, a label in a chat form.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.give_limits import LimitFormatError, parse_limit

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"([01]?\d|2[0-3]):[0-5]\d"
_RECAP_TIME = re.compile(rf"({'|'.join(WEEKDAYS)})\s+{_CLOCK}")
_DAYS = re.compile(r"[a-z0-9,\-*]+")
SLACK_USER = re.compile(r"[UW][A-Z0-9]+")
SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]+")
EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+")
#: An Entra (Azure AD) object id: a GUID.
ENTRA_ID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
#: A Teams channel or group chat to post to (``19:…@thread.tacv2``): a conversation, never
#: one message's thread (``;messageid=``), and nothing that would change a connector URL.
TEAMS_CONVERSATION = re.compile(r"19:[A-Za-z0-9_.@-]{1,300}")


def clock_problem(value: str, what: str) -> str | None:
    """A time of day as HH:MM (the digest's)."""
    if re.fullmatch(_CLOCK, value):
        return None
    return f"{what} must be HH:MM, e.g. 09:00 (got {value!r})."


def weekday_clock_problem(value: str, what: str) -> str | None:
    """A weekday and a time, ``fri 16:00`` (the recap's)."""
    if _RECAP_TIME.fullmatch(value.strip().lower()):
        return None
    return f"{what} must be a weekday and HH:MM, e.g. fri 16:00 (got {value!r})."


def timezone_problem(value: str, what: str) -> str | None:
    """An IANA time zone name."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{what} must be an IANA name such as Europe/Berlin (got {value!r})."
    return None


def days_problem(value: str, what: str) -> str | None:
    """A cron day-of-week field, such as ``mon-fri``."""
    if _DAYS.fullmatch(value.lower()):
        return None
    return f"{what} must be a cron day-of-week such as mon-fri."


def limit_problem(value: str, what: str) -> str | None:
    """A give limit, ``5/week`` (bot.give_limits decides what it means)."""
    try:
        parse_limit(value)
    except LimitFormatError:
        return f"{what} must look like 5/week (periods: day, week, month), not {value!r}."
    return None


def slack_users_problem(values: list[str], what: str) -> str | None:
    """Slack user ids, ``U0123ABCD``: who approves and administers is checked by id."""
    bad = [v for v in values if not SLACK_USER.fullmatch(v)]
    if bad:
        return f"{what} must hold Slack user ids like U0123ABCD (not {bad[0]!r})."
    return None


def teams_people_problem(values: list[str], what: str) -> str | None:
    """Teams people by email or Entra object id: who approves and administers in Teams is
    checked against a person's email and object id (bot.permissions)."""
    bad = [v for v in values if not (EMAIL.fullmatch(v) or ENTRA_ID.fullmatch(v))]
    if bad:
        return f"{what} must be emails or Entra object ids (not {bad[0]!r})."
    return None


def teams_conversation_problem(value: str, what: str) -> str | None:
    """A Teams conversation id, ``19:…@thread.tacv2``."""
    if TEAMS_CONVERSATION.fullmatch(value):
        return None
    return f"{what} must be a Teams conversation id like 19:…@thread.tacv2 (got {value!r})."
