"""The dashboard's periods: this week, month, quarter or year in a workspace's time zone
(DIGEST_TIMEZONE), or a custom range of days, as half-open UTC intervals; and the ISO
weeks (from Monday) that a period's bar chart is drawn in.

Pure functions of their arguments (the caller passes ``now`` and the zone), so they are
tested without a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodName = Literal["week", "month", "quarter", "year"]
PERIOD_NAMES: tuple[PeriodName, ...] = ("week", "month", "quarter", "year")

#: The longest custom period, in years: a page of three years of weeks (157 bars) is
#: still one screen, and a longer range is better served by the CSV export.
MAX_YEARS = 3


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC (both aware), named ``week``, ``month``, ``quarter``,
    ``year`` or ``custom``. ``tz`` (added to the agreed API) is the zone its days and
    weeks are counted in, so the figures need no other argument to draw its weeks."""

    start: datetime
    end: datetime
    name: str
    tz: str = "UTC"

    @property
    def first_day(self) -> date:
        """The period's first local day."""
        return self.start.astimezone(ZoneInfo(self.tz)).date()

    @property
    def last_day(self) -> date:
        """The period's last local day (``end`` is the midnight after it)."""
        return (self.end.astimezone(ZoneInfo(self.tz)) - timedelta(microseconds=1)).date()


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant of local midnight starting ``day`` (a midnight that a DST change
    skips falls to zoneinfo's reading of it, which is the same on every call)."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def first_day_of(name: PeriodName, day: date) -> date:
    """The first day of the week (Monday), month, quarter or year that ``day`` is in: the
    dashboard's periods, the leaderboards and the give limit all start their periods here."""
    if name == "week":
        return day - timedelta(days=day.weekday())
    if name == "month":
        return day.replace(day=1)
    if name == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(month=1, day=1)


def _next_first_day(name: PeriodName, first: date) -> date:
    if name == "week":
        return first + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[name]
    month = first.month - 1 + months
    return first.replace(year=first.year + month // 12, month=month % 12 + 1, day=1)


def named_period(name: PeriodName, now: datetime, tz: str) -> Period:
    """The whole local week (from Monday), month, quarter or year that ``now`` falls in,
    in zone ``tz``; its end is the start of the next one, so it includes days to come.
    Raises ValueError for a naive ``now`` or an unknown name, and
    zoneinfo.ZoneInfoNotFoundError for an unknown zone."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("The time given for a period needs a time zone.")
    if name not in PERIOD_NAMES:
        raise ValueError(f"A period is one of {', '.join(PERIOD_NAMES)}, not {name!r}.")
    zone = ZoneInfo(tz)
    first = first_day_of(name, now.astimezone(zone).date())
    end = _next_first_day(name, first)
    return Period(_midnight(first, zone), _midnight(end, zone), name, tz)


def custom_period(first_day: date, last_day: date, tz: str) -> Period:
    """The local days ``first_day`` to ``last_day``, both included, in zone ``tz``.
    Raises ValueError, with a sentence to show, when the range runs backwards or is
    longer than MAX_YEARS years."""
    if last_day < first_day:
        raise ValueError(
            f"The period ends ({last_day.isoformat()}) before it starts "
            f"({first_day.isoformat()}); pick a last day on or after the first."
        )
    limit = _years_after(first_day, MAX_YEARS) - timedelta(days=1)
    if last_day > limit:
        raise ValueError(
            f"A period can be at most {MAX_YEARS} years long: from "
            f"{first_day.isoformat()}, the last day can be {limit.isoformat()} at the latest."
        )
    zone = ZoneInfo(tz)
    return Period(
        _midnight(first_day, zone), _midnight(last_day + timedelta(days=1), zone), "custom", tz
    )


def _years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


def period_weeks(period: Period) -> list[tuple[date, float, float]]:
    """The ISO weeks the period meets, in order: each week's Monday and its bounds in
    Unix seconds, cut to the period (a month's first and last bars may be part weeks).
    Together they cover the period exactly, so the bars add up to its awards."""
    zone = ZoneInfo(period.tz)
    monday = first_day_of("week", period.first_day)
    start, end = period.start.timestamp(), period.end.timestamp()
    weeks = []
    while True:
        lo = _midnight(monday, zone).timestamp()
        if lo >= end:
            return weeks
        hi = _midnight(monday + timedelta(days=7), zone).timestamp()
        weeks.append((monday, max(lo, start), min(hi, end)))
        monday += timedelta(days=7)
