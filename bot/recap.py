"""The weekly recap: the awards made through the bot this (local) week, a count per badge,
the people and teams recognised, and the newest comments, posted once per channel per
week. Like the digest, each (channel, week) is claimed in the database before posting,
so a second clock or a rerun posts nothing more; the job speaks to the chat platform
only through :class:`RecapPublisher`, which each front end implements. A recap names
people without notifying them."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.awards import Award, awards_given
from bot.chat import Platform
from bot.digest import PostReport, post_once_each
from bot.leaderboard import period_start
from bot.services import Services

log = logging.getLogger(__name__)

#: The newest comments a recap quotes.
RECAP_COMMENTS = 5


@dataclass(frozen=True)
class Recap:
    """What a week's recap shows."""

    week_start: datetime
    awards: int
    per_badge: list[tuple[str, int]]
    people: list[str]
    teams: list[str]
    #: (giver's name, badge, comment), newest first.
    comments: list[tuple[str, str, str]]


class RecapPublisher(Protocol):
    """What the recap needs from a chat front end."""

    platform: Platform

    def render(self, recap: Recap) -> Any:
        """The recap message, within the platform's limits."""
        ...

    async def post(self, channel: str, message: Any) -> str:
        """Post it; returns the message id. Raises bot.digest.DigestPostFailed."""
        ...


@dataclass
class RecapReport(PostReport):
    """What one recap run did."""

    awards: int = 0


def week_key(week_start: datetime) -> str:
    """The claim key of a week: ``recap-2026-W48`` (kept beside the digest's days)."""
    year, week, _ = week_start.isocalendar()
    return f"recap-{year}-W{week:02d}"


def build_recap(awards: list[Award], week_start: datetime) -> Recap:
    """The recap of the approved ``awards``."""
    per_badge: Counter[str] = Counter()
    people: dict[str, None] = {}
    teams: dict[str, None] = {}
    for award in awards:
        per_badge[award.badge_name] += 1
        for recipient in award.recipients:
            (teams if recipient.is_team else people)[recipient.name] = None
    comments = [
        (a.giver.name, a.badge_name, a.comment)
        for a in sorted(awards, key=lambda a: a.given_at or 0.0, reverse=True)
        if a.comment.strip()
    ][:RECAP_COMMENTS]
    return Recap(
        week_start=week_start,
        awards=len(awards),
        per_badge=sorted(per_badge.items(), key=lambda kv: (-kv[1], kv[0])),
        people=list(people),
        teams=list(teams),
        comments=comments,
    )


class RecapJob:
    """Builds and posts the weekly recap to one platform's channels."""

    def __init__(self, services: Services, publisher: RecapPublisher) -> None:
        self._services = services
        self._publisher = publisher

    @property
    def timezone(self) -> ZoneInfo:
        """The recap's time zone (RECAP_TIMEZONE, else DIGEST_TIMEZONE)."""
        return ZoneInfo(self._services.settings.recap_zone)

    async def channels(self) -> list[str]:
        """RECAP_CHANNELS (Slack) and the conversations that sent ``recap here``."""
        platform = self._publisher.platform
        configured = self._services.settings.recap_channels if platform == "slack" else []
        subscribed = await self._services.store.digest_subscriptions(
            platform=platform, post="recap"
        )
        return list(dict.fromkeys([*configured, *subscribed]))

    async def build(self, now: datetime) -> Recap:
        """This local week's recap, Monday to ``now``."""
        start = period_start("week", now, self.timezone)
        end = start + timedelta(days=7)
        awards = [
            award
            async for award in awards_given(
                self._services.store, start.timestamp(), end.timestamp()
            )
            if award.status == "approved"
        ]
        return build_recap(awards, start)

    async def run(
        self,
        *,
        force: bool = False,
        channels: list[str] | None = None,
        now: datetime | None = None,
    ) -> RecapReport:
        """Post this week's recap to each channel not yet served this week."""
        now = now or datetime.now(self.timezone)
        recap = await self.build(now)
        report = RecapReport(awards=recap.awards)
        targets = channels if channels is not None else await self.channels()
        if not targets or (not recap.awards and not self._services.settings.recap_when_empty):
            log.info(
                "recap: nothing posted (%s)",
                "no channel" if not targets else "no awards this week, RECAP_WHEN_EMPTY off",
            )
            return report
        message = self._publisher.render(recap)
        key = week_key(recap.week_start)
        await post_once_each(
            self._services.store,
            self._publisher.platform,
            key,
            targets,
            report,
            force=force,
            post=lambda channel: self._publisher.post(channel, message),
        )
        log.info(
            "recap %s: %d awards, posted to %d, already posted to %d, failed %d",
            key,
            recap.awards,
            len(report.posted),
            len(report.already_posted),
            len(report.failed),
        )
        return report
