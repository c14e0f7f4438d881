"""The dashboard's periods (bot.dashboard.periods): named periods in a workspace's zone,
custom ranges and their refusals, and the ISO weeks that cover a period exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dashboard.periods import Period, custom_period, named_period, period_weeks

PARIS = "Europe/Paris"


def local(period: Period) -> tuple[datetime, datetime]:
    zone = ZoneInfo(period.tz)
    return period.start.astimezone(zone), period.end.astimezone(zone)


@pytest.mark.parametrize(
    ("name", "first", "after"),
    [
        ("week", date(2026, 3, 23), date(2026, 3, 30)),  # across the change to summer time
        ("month", date(2026, 3, 1), date(2026, 4, 1)),
        ("quarter", date(2026, 1, 1), date(2026, 4, 1)),
        ("year", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_a_named_period_is_the_local_one_now_falls_in(name, first, after) -> None:
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # already Sunday 29 March in Paris
    period = named_period(name, now, PARIS)
    start, end = local(period)
    assert (start.date(), end.date(), start.hour, end.hour) == (first, after, 0, 0)
    assert period.name == name and period.start.tzinfo == UTC and period.end.tzinfo == UTC
    assert period.start <= now < period.end
    assert (period.first_day, period.last_day) == (first, after - timedelta(days=1))


def test_the_last_quarter_ends_with_the_year_and_the_zone_decides_the_day() -> None:
    new_year_eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert named_period("quarter", new_year_eve, "UTC").end == datetime(2027, 1, 1, tzinfo=UTC)
    in_paris = named_period("quarter", new_year_eve, PARIS)  # 00:30 on 1 January there
    assert in_paris.first_day == date(2027, 1, 1)
    with pytest.raises(ValueError, match="needs a time zone"):
        named_period("week", datetime(2026, 1, 1), PARIS)
    with pytest.raises(ValueError, match="one of week, month"):
        named_period("decade", new_year_eve, PARIS)  # type: ignore[arg-type]


def test_a_custom_period_takes_whole_days_and_refuses_bad_ranges() -> None:
    period = custom_period(date(2026, 3, 2), date(2026, 3, 15), PARIS)
    assert period.name == "custom" and period.tz == PARIS
    assert period.start == datetime(2026, 3, 1, 23, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 15, 23, tzinfo=UTC)
    assert custom_period(date(2026, 3, 2), date(2026, 3, 2), "UTC").end == datetime(
        2026, 3, 3, tzinfo=UTC
    )
    with pytest.raises(ValueError, match=r"ends \(2026-03-01\) before it starts \(2026-03-02\)"):
        custom_period(date(2026, 3, 2), date(2026, 3, 1), PARIS)
    assert custom_period(date(2024, 1, 1), date(2026, 12, 31), PARIS).last_day == date(2026, 12, 31)
    with pytest.raises(ValueError, match=r"at most 3 years.*2026-12-31 at the latest"):
        custom_period(date(2024, 1, 1), date(2027, 1, 1), PARIS)
    with pytest.raises(ValueError, match="2027-02-28 at the latest"):
        custom_period(date(2024, 2, 29), date(2027, 3, 1), PARIS)


def test_weeks_start_on_local_mondays_and_are_cut_to_the_period() -> None:
    march = named_period("month", datetime(2026, 3, 10, tzinfo=UTC), PARIS)
    weeks = period_weeks(march)
    assert [w[0] for w in weeks] == [
        date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16),
        date(2026, 3, 23), date(2026, 3, 30),
    ]  # fmt: skip
    assert weeks[0][1] == march.start.timestamp() and weeks[-1][2] == march.end.timestamp()
    # The week of the change to summer time is an hour short.
    assert weeks[4][2] - weeks[4][1] == 7 * 86400 - 3600


@given(
    first=st.dates(date(2000, 1, 1), date(2090, 1, 1)),
    days=st.integers(0, 3 * 365 - 1),  # three years have at least 1,095 days
    zone=st.sampled_from(["UTC", PARIS, "America/Sao_Paulo", "Asia/Kathmandu", "Pacific/Apia"]),
)
def test_weeks_cover_any_period_exactly(first: date, days: int, zone: str) -> None:
    period = custom_period(first, first + timedelta(days=days), zone)
    weeks = period_weeks(period)
    assert weeks[0][1] == period.start.timestamp() and weeks[-1][2] == period.end.timestamp()
    assert all(monday.weekday() == 0 and lo < hi for monday, lo, hi in weeks)
    assert all(hi == next_lo for (_, _, hi), (_, next_lo, _) in pairwise(weeks))
