"""Fair limits on giving (``BADGE_GIVE_LIMIT=5/week``): how many recipients a person may
give to per local day, week or month. The rule lives in the core, so it holds on every
chat platform; approvers and BADGE_GIVE_LIMIT_EXEMPT are exempt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.dashboard.periods import first_day_of
from bot.identity import ChatProfile

Period = Literal["day", "week", "month"]
_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(day|week|month)\s*$", re.IGNORECASE)


class LimitFormatError(ValueError):
    """BADGE_GIVE_LIMIT is not ``N/day``, ``N/week`` or ``N/month``."""


def parse_limit(text: str) -> tuple[int, Period]:
    """``"5/week"`` as (5, "week")."""
    match = _LIMIT.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise LimitFormatError(
            f"BADGE_GIVE_LIMIT must look like 5/week (periods: day, week, month), not {text!r}."
        )
    period: Period = match.group(2).lower()  # type: ignore[assignment]
    return int(match.group(1)), period


@dataclass(frozen=True)
class GiveLimit:
    """The limit, its local time zone, and who is exempt (ids or emails, lowercased)."""

    count: int
    period: Period
    timezone: ZoneInfo
    exempt: frozenset[str] = frozenset()

    @classmethod
    def from_setting(cls, text: str, timezone: str, exempt: list[str]) -> GiveLimit:
        """From BADGE_GIVE_LIMIT, the time zone and BADGE_GIVE_LIMIT_EXEMPT."""
        count, period = parse_limit(text)
        return cls(count, period, ZoneInfo(timezone), frozenset(e.lower() for e in exempt))

    def applies_to(self, giver: ChatProfile, *, approver: bool) -> bool:
        """Whether the giver is limited: not an approver, and not listed as exempt."""
        keys = {giver.user_id.lower(), *(a.lower() for a in giver.aliases)}
        if giver.email:
            keys.add(giver.email.lower())
        return not approver and not keys & self.exempt

    def period_start(self, now: datetime) -> datetime:
        """The start of the local period ``now`` falls in."""
        day = now.astimezone(self.timezone).date()
        if self.period != "day":
            day = first_day_of(self.period, day)
        return datetime.combine(day, time(0), self.timezone)

    def next_reset(self, now: datetime) -> datetime:
        """When the next period starts."""
        start = self.period_start(now)
        if self.period == "day":
            day = start.date() + timedelta(days=1)
        elif self.period == "week":
            day = start.date() + timedelta(days=7)
        else:
            day = (start.date().replace(day=28) + timedelta(days=4)).replace(day=1)
        return datetime.combine(day, time(0), self.timezone)

    def words(self) -> str:
        """ "5 per week"."""
        return f"{self.count} per {self.period}"

    def refusal(self, used: int, wanted: int, now: datetime) -> str:
        """What an over-the-limit giver is told."""
        reset = self.next_reset(now).strftime("%a %d %b, %H:%M")
        left = max(self.count - used, 0)
        people = "person" if wanted == 1 else "people"
        return (
            f"Nothing was awarded: you have given {used} badge{'s' if used != 1 else ''} this "
            f"{self.period}, and the limit is {self.words()} ({left} left, for {wanted} "
            f"{people} here). It resets {reset} ({self.timezone.key})."
        )

    def remaining_words(self, used: int, now: datetime) -> str:
        """ "3 of 5 left this week (resets Mon 30 Nov)"."""
        left = max(self.count - used, 0)
        reset = self.next_reset(now).strftime("%a %d %b")
        return f"{left} of {self.count} gives left this {self.period} (resets {reset})"
