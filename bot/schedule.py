"""When the digest runs (DIGEST_DAYS at DIGEST_TIME in DIGEST_TIMEZONE), and the weekly
recap (RECAP_TIME in RECAP_TIMEZONE)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings


def digest_trigger(settings: Settings) -> CronTrigger:
    """The cron trigger of the digest job, in the digest's time zone."""
    hour, minute = settings.digest_hour_minute
    return CronTrigger(
        day_of_week=settings.digest_days,
        hour=hour,
        minute=minute,
        timezone=ZoneInfo(settings.digest_timezone),
    )


def next_digest_time(settings: Settings, now: datetime | None = None) -> datetime | None:
    """When the digest runs next, in its own time zone."""
    tz = ZoneInfo(settings.digest_timezone)
    return digest_trigger(settings).get_next_fire_time(None, now or datetime.now(tz))


def recap_trigger(settings: Settings) -> CronTrigger:
    """The cron trigger of the weekly recap, in the recap's time zone."""
    day, hour, minute = settings.recap_day_hour_minute
    return CronTrigger(
        day_of_week=day, hour=hour, minute=minute, timezone=ZoneInfo(settings.recap_zone)
    )
