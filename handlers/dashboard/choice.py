"""What the dashboard's query string asks for: a period, one badge, one team. Anything
malformed falls back to the default with a sentence for the page, never an error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, cast
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from bot.dashboard import figures

NamedPeriod = Literal["week", "month", "quarter", "year"]
PeriodName = Literal["week", "month", "quarter", "year", "custom"]
NAMED: tuple[PeriodName, ...] = ("week", "month", "quarter", "year")
DEFAULT_PERIOD: PeriodName = "month"
#: Badge and team ids as Quantive writes them: short, no markup, no path characters.
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Choice:
    """The period asked for, and the filters."""

    period: PeriodName = DEFAULT_PERIOD
    first_day: str = ""
    last_day: str = ""
    badge_id: str | None = None
    team_id: str | None = None

    def query(self, **changes: str | None) -> str:
        """This choice as a query string, with ``changes`` (for links and the export)."""
        values: dict[str, str | None] = {
            "period": self.period,
            "from": self.first_day if self.period == "custom" else None,
            "to": self.last_day if self.period == "custom" else None,
            "badge": self.badge_id,
            "team": self.team_id,
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v})


def read_choice(params: QueryParams) -> tuple[Choice, list[str]]:
    """The choice in a query string, and a sentence for each part that was ignored."""
    notes: list[str] = []
    period = _one(params, "period") or DEFAULT_PERIOD
    if period not in (*NAMED, "custom"):
        notes.append("That period is not one the dashboard knows: showing this month.")
        period = DEFAULT_PERIOD
    first, last = _one(params, "from"), _one(params, "to")
    badge, team = _one(params, "badge"), _one(params, "team")
    if badge and not _ID.fullmatch(badge):
        notes.append("That badge filter is not a badge id: showing every badge.")
        badge = ""
    if team and not _ID.fullmatch(team):
        notes.append("That team filter is not a team id: showing every team.")
        team = ""
    return (
        Choice(cast(PeriodName, period), first, last, badge or None, team or None),
        notes,
    )


def resolve_period(choice: Choice, now: datetime, tz: str) -> tuple[figures.Period, list[str]]:
    """The period of ``choice`` in the workspace's time zone; a custom range that makes
    no period (bad dates, last before first) becomes this month, with the reason."""
    if choice.period == "custom":
        try:
            first, last = _day(choice.first_day), _day(choice.last_day)
            return figures.custom_period(first, last, tz), []
        except ValueError as exc:
            note = str(exc) or "Those dates make no period."
            return figures.named_period(DEFAULT_PERIOD, now, tz), [f"{note} Showing this month."]
    return figures.named_period(cast(NamedPeriod, choice.period), now, tz), []


def _day(text: str) -> date:
    if not _DAY.fullmatch(text):
        raise ValueError("Dates are written YYYY-MM-DD.")
    return date.fromisoformat(text)


def _one(params: QueryParams, name: str) -> str:
    """The first value of a parameter, stripped, at most 100 characters."""
    value = params.get(name) or ""
    return value.strip()[:100]
