"""The daily digest: one message per subscribed channel listing the awards still waiting.

Each (channel, local date) is claimed in the database before posting, so a second run, a
restart, or a second clock process posts nothing more that day. The job speaks to the chat
platform only through :class:`DigestPublisher`, which each front end implements.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from api import errors
from api.models import Assignment
from bot.awards import Award, award_from_assignment
from bot.chat import Platform
from bot.people import PeopleDirectory
from bot.services import Services
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

#: How many channels are posted to at once; Slack's limit is per channel, not per app.
CHANNEL_CONCURRENCY = 4


class DigestError(Exception):
    """The digest could not be built or posted; the message is one line for a person."""


class DigestPostFailed(Exception):
    """A digest post failed. ``certain`` when the platform answered with an error, so
    nothing was posted; False when no answer came, so it may have been posted."""

    def __init__(self, reason: str, *, certain: bool) -> None:
        super().__init__(reason)
        self.certain = certain


class DigestPublisher(Protocol):
    """What the digest needs from a chat front end."""

    #: Whose channels (and chat ids) these are.
    platform: Platform

    #: How many awards one digest message can show.
    max_items: int

    def render(self, views: list[Award], total: int, now: datetime | None) -> Any:
        """The digest message for ``views`` out of ``total`` waiting, built once a run."""
        ...

    async def post(self, channel: str, message: Any) -> str:
        """Post a rendered digest; returns the message's id. Raises DigestPostFailed."""
        ...

    async def update(self, channel: str, message_id: str, message: Any) -> None:
        """Replace a posted digest with a newly rendered one."""
        ...

    async def chat_user_for_email(self, email: str) -> str | None:
        """The chat user with this email, to show people as mentions."""
        ...


@dataclass
class PostReport:
    """Where one run posted, where it had already posted, and where it failed."""

    posted: list[str] = field(default_factory=list)
    already_posted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class DigestReport(PostReport):
    """What one digest run did."""

    pending: int = 0


async def post_once_each(
    store: Store,
    platform: Platform,
    key: str,
    targets: list[str],
    report: PostReport,
    *,
    force: bool,
    post: Callable[[str], Awaitable[str]],
    posted: Callable[[str, str], Awaitable[None]] | None = None,
) -> None:
    """Post to each channel at most once per ``key`` (a local day, a week): each
    (channel, key) is claimed in the database first, so reruns, restarts and a second
    clock post nothing more. ``posted(channel, message_id)`` records a post."""
    limit = asyncio.Semaphore(CHANNEL_CONCURRENCY)

    async def one(channel: str) -> None:
        async with limit:
            if not await store.claim_digest(channel, key, force=force, platform=platform):
                report.already_posted.append(channel)
                return
            try:
                message_id = await post(channel)
            except DigestPostFailed as exc:
                if exc.certain:
                    # Nothing was posted, so a rerun may post; with no answer the post
                    # may be there, so the claim stays.
                    await store.release_digest(channel, key, platform=platform)
                report.failed[channel] = str(exc)
                return
            if posted is not None:
                await posted(channel, message_id)
            report.posted.append(channel)

    await asyncio.gather(*(one(c) for c in targets))


class DigestJob:
    """Builds and posts the digest, and redraws a digest after a decision."""

    def __init__(
        self,
        services: Services,
        publisher: DigestPublisher,
        people: PeopleDirectory | None = None,
    ) -> None:
        self._services = services
        self._publisher = publisher
        self._people = people or PeopleDirectory(services.quantive)

    @property
    def settings(self) -> Settings:
        """The settings it runs by: its workspace's (the clock reads its times here)."""
        return self._services.settings

    @property
    def timezone(self) -> ZoneInfo:
        """The digest's time zone."""
        return ZoneInfo(self._services.settings.digest_timezone)

    async def channels(self) -> list[str]:
        """Channels from DIGEST_CHANNELS (Slack) and from ``digest here``, without repeats."""
        platform = self._publisher.platform
        # DIGEST_CHANNELS are Slack's; Teams conversations subscribe with "digest here".
        configured = self._services.settings.digest_channels if platform == "slack" else []
        subscribed = await self._services.store.digest_subscriptions(platform=platform)
        return list(dict.fromkeys([*configured, *subscribed]))

    async def run(
        self,
        *,
        force: bool = False,
        channels: list[str] | None = None,
        now: datetime | None = None,
    ) -> DigestReport:
        """Post today's digest to each channel not yet served today (all of them if forced).

        Raises DigestError when Quantive cannot list the pending awards.
        """
        now = now or datetime.now(self.timezone)
        day = now.astimezone(self.timezone).date().isoformat()
        targets = channels if channels is not None else await self.channels()
        report = DigestReport()
        if not targets:
            return report
        try:
            pending = await self._services.awards.pending()
        except errors.QuantiveError as exc:
            raise DigestError(f"Quantive: {exc.user_message}") from None
        report.pending = len(pending)
        if not pending and not self._services.settings.digest_when_empty:
            return report
        views = await self.views_for(pending[: self._publisher.max_items])
        message = self._publisher.render(views, len(pending), now)
        shown = [v.assignment_id for v in views]
        hidden = len(pending) - len(shown)
        platform = self._publisher.platform
        store = self._services.store

        async def recorded(channel: str, message_id: str) -> None:
            await store.record_digest(channel, day, message_id, shown, hidden, platform=platform)

        await post_once_each(
            store,
            platform,
            day,
            targets,
            report,
            force=force,
            post=lambda channel: self._publisher.post(channel, message),
            posted=recorded,
        )
        log.info(
            "digest %s: %d pending, posted to %d, already posted to %d, failed %d",
            day,
            report.pending,
            len(report.posted),
            len(report.already_posted),
            len(report.failed),
        )
        return report

    async def views_for(self, assignments: list[Assignment]) -> list[Award]:
        """The records of the awards, kept the first time one is seen (a stored record,
        which carries decisions and chat ids, wins)."""
        awards = self._services.awards
        saved = {a.id: await awards.award(a.id) for a in assignments}
        fresh = [a for a in assignments if saved[a.id] is None]
        ids = {i for a in fresh for i in [a.assigned_by_id or "", *a.assignee_ids]}
        people = await self._people.lookup(ids)
        platform = self._publisher.platform
        chat_ids = await self._services.identities.chat_users_for(
            people.values(), self._publisher.chat_user_for_email, platform=platform
        )
        badges = {b.id: b for b in await self._services.catalogue.badges()}
        found = []
        for assignment in assignments:
            award = saved[assignment.id]
            if award is None:
                award = await awards.remember_seen(
                    award_from_assignment(
                        assignment, badges.get(assignment.badge_id), people, chat_ids, platform
                    )
                )
            found.append(award)
        return found

    async def render_posted(self, channel: str, ts: str) -> Any | None:
        """A posted digest rendered again with each award's current state, or None when
        no digest was posted there."""
        post = await self._services.store.digest_post(
            channel, ts, platform=self._publisher.platform
        )
        if post is None:
            return None
        views = [v for a in post.assignment_ids if (v := await self._services.awards.award(a))]
        total = len(post.assignment_ids) + post.hidden_count
        return self._publisher.render(views, total, None)

    async def redraw(self, channel: str, ts: str) -> None:
        """Redraw a posted digest with each award's current state."""
        message = await self.render_posted(channel, ts)
        if message is not None:
            await self._publisher.update(channel, ts, message)


def count_text(count: int) -> str:
    """ "7 badge awards are waiting for approval"."""
    if count == 1:
        return "1 badge award is waiting for approval"
    return f"{count} badge awards are waiting for approval"


def age_text(assigned_on: str | None, now: datetime | None = None) -> str:
    """How long an award has waited: "today", "1 day", "3 days"."""
    if not assigned_on:
        return "a while"
    try:
        then = datetime.fromisoformat(assigned_on.replace("Z", "+00:00"))
    except ValueError:
        return "a while"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    days = ((now or datetime.now(UTC)) - then).days
    if days <= 0:
        return "today"
    return "1 day" if days == 1 else f"{days} days"
