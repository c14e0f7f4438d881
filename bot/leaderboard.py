"""Leaderboards by period (``top week``): awards made through the bot in the local week,
month, quarter or year, counted per recipient from the record of gives. ``top all`` is
Quantive's own view, its current holders (bot.holdings), which also knows awards made in
Quantive's web app but not when they were made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from bot.awards import awards_given
from bot.dashboard.periods import first_day_of
from bot.holdings import HoldingsIndex, Ranked
from bot.people import Person
from bot.store import Store

BoardPeriod = Literal["week", "month", "quarter", "year", "all"]
PERIODS: tuple[BoardPeriod, ...] = ("week", "month", "quarter", "year", "all")


def parse_period(text: str) -> BoardPeriod | None:
    """The period named by ``top``'s argument ("" is all), or None if it names none."""
    word = (text or "").strip().lower() or "all"
    return word if word in PERIODS else None  # type: ignore[return-value]


def period_start(period: BoardPeriod, now: datetime, timezone: ZoneInfo) -> datetime:
    """The start of the local week (Monday), month, quarter or year ``now`` falls in."""
    day = now.astimezone(timezone).date()
    if period != "all":
        day = first_day_of(period, day)
    return datetime.combine(day, time(0), timezone)


@dataclass(frozen=True)
class PeriodBoard:
    """The people and teams recognised most in a period, and what it was counted from."""

    people: list[Ranked]
    teams: list[Ranked]
    awards: int
    since: datetime


async def period_board(
    store: Store, period: BoardPeriod, now: datetime, timezone: ZoneInfo
) -> PeriodBoard:
    """Approved awards given through the bot since the period began, per recipient."""
    since = period_start(period, now, timezone)
    counts: Counter[str] = Counter()
    people: dict[str, Person] = {}
    awards = 0
    async for award in awards_given(store, since.timestamp()):
        if award.status != "approved":
            continue
        awards += 1
        for recipient in award.recipients:
            key = recipient.quantive_id or recipient.email or recipient.name
            counts[key] += 1
            people[key] = Person(key, recipient.name, recipient.email or "", recipient.is_team)
    ranked = [Ranked(people[k], n) for k, n in counts.items()]
    ranked.sort(key=lambda r: (-r.count, r.person.name))
    return PeriodBoard(
        people=[r for r in ranked if not r.person.is_team][:10],
        teams=[r for r in ranked if r.person.is_team][:5],
        awards=awards,
        since=since,
    )


def source_words(period: BoardPeriod, board: PeriodBoard | None = None) -> str:
    """The small line under a board saying what it counts."""
    if board is None:
        return (
            "All time: badges people and teams hold now, from Quantive (awards made "
            "anywhere, without dates)."
        )
    since = board.since.strftime("%a %d %b %Y")
    return (
        f"This {period}: {board.awards} approved award{'s' if board.awards != 1 else ''} "
        f"given through badgebot since {since} ({board.since.tzinfo}). Awards made in "
        "Quantive's web app count only in “top all”."
    )


@dataclass(frozen=True)
class Board:
    """What ``top`` shows: the people and teams, and what they were counted from (None
    for Quantive's holders)."""

    people: list[Ranked]
    teams: list[Ranked]
    period: BoardPeriod
    counted: PeriodBoard | None

    @property
    def source(self) -> str:
        """The line under the board."""
        return source_words(self.period, self.counted)


async def board_for(
    period: BoardPeriod, store: Store, holdings: HoldingsIndex, timezone: ZoneInfo
) -> Board:
    """The board of ``top <period>``: Quantive's holders for ``all``, else the awards given
    through the bot since the local period began. Raises api.errors.QuantiveError."""
    if period == "all":
        ranked = await holdings.leaderboard()
        people = [r for r in ranked if not r.person.is_team][:10]
        teams = [r for r in ranked if r.person.is_team][:5]
        return Board(people, teams, period, None)
    counted = await period_board(store, period, datetime.now(timezone), timezone)
    return Board(counted.people, counted.teams, period, counted)
