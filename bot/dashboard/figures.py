"""A stand-in for the dashboard's figures, with the signatures of branch figures23 (which
computes them in SQL and replaces this module at merge): the web side codes against them.

Every function raises NotImplementedError; ``STUB`` tells the tests to use their own
in-memory figures until the real module lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

#: Only in this stand-in: the real module has no such name.
STUB = True


@dataclass(frozen=True)
class Period:
    """A span of time, UTC-aware, ``[start, end)``, with its name for the page."""

    start: datetime
    end: datetime
    name: str


@dataclass(frozen=True)
class WeekBar:
    """The awards given in one week, by what became of them."""

    week_start: date
    approved: int
    pending: int
    rejected: int


@dataclass(frozen=True)
class Count:
    """A labelled count (a badge, a team, a person)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Participation:
    """How many gave and received at least once, out of the people the bot knows."""

    givers: int
    receivers: int
    known_people: int


@dataclass(frozen=True)
class Queue:
    """The approval queue."""

    waiting: int
    oldest_given_at: float | None
    median_decision_seconds: float | None
    rejected_share: float | None


@dataclass(frozen=True)
class CommentRow:
    """One award's comment, newest first on the page."""

    given_at: float
    badge_name: str
    giver: str
    recipients: str
    comment: str


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one period and filter."""

    period: Period
    total: int
    weeks: list[WeekBar]
    by_badge: list[Count]
    by_team: list[Count]
    top_people: list[Count]
    top_teams: list[Count]
    top_givers: list[Count]
    participation: Participation
    queue: Queue
    comments: list[CommentRow]


def named_period(
    name: Literal["week", "month", "quarter", "year"], now: datetime, tz: str
) -> Period:
    """This week, month, quarter or year in ``tz``, around ``now``."""
    raise NotImplementedError("bot.dashboard.figures comes from branch figures23")


def custom_period(first_day: date, last_day: date, tz: str) -> Period:
    """The days from ``first_day`` to ``last_day`` included, in ``tz``; ValueError with a
    sentence when they make no period."""
    raise NotImplementedError("bot.dashboard.figures comes from branch figures23")


async def dashboard_figures(
    store: Any,
    period: Period,
    *,
    badge_id: str | None = None,
    team_id: str | None = None,
    limit: int = 10,
) -> Figures:
    """The figures of ``period``, for one badge or team when given."""
    raise NotImplementedError("bot.dashboard.figures comes from branch figures23")


async def dashboard_filters(store: Any) -> tuple[list[Count], list[Count]]:
    """The badges and the teams for the filter menus."""
    raise NotImplementedError("bot.dashboard.figures comes from branch figures23")
