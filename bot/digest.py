"""The daily digest: one message per subscribed channel listing the awards still waiting.

Each (channel, local date) is claimed in the database before posting, so a second run, a
restart, or a second clock process posts nothing more that day.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from api import errors
from api.models import Assignment
from bot.awards import AwardView, view_from_assignment
from bot.people import PeopleDirectory
from bot.services import Services
from handlers.digest_blocks import MAX_DIGEST_ITEMS, count_text, digest_blocks
from handlers.slack_directory import SlackDirectory

log = logging.getLogger(__name__)

#: How many channels are posted to at once; Slack's limit is per channel, not per app.
CHANNEL_CONCURRENCY = 4


class DigestError(Exception):
    """The digest could not be built or posted; the message is one line for a person."""


@dataclass
class DigestReport:
    """What one run did."""

    pending: int = 0
    posted: list[str] = field(default_factory=list)
    already_posted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class DigestJob:
    """Builds and posts the digest, and redraws a digest after a decision."""

    def __init__(
        self,
        services: Services,
        client: AsyncWebClient,
        directory: SlackDirectory,
        people: PeopleDirectory | None = None,
    ) -> None:
        self._services = services
        self._client = client
        self._directory = directory
        self._people = people or PeopleDirectory(services.quantive)

    @property
    def timezone(self) -> ZoneInfo:
        """The digest's time zone."""
        return ZoneInfo(self._services.settings.digest_timezone)

    def channels(self) -> list[str]:
        """Channels from DIGEST_CHANNELS and from ``/badge digest here``, without repeats."""
        configured = self._services.settings.digest_channels
        return list(dict.fromkeys([*configured, *self._services.store.digest_subscriptions()]))

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
        targets = channels if channels is not None else self.channels()
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
        views = await self.views_for(pending[:MAX_DIGEST_ITEMS])
        blocks = digest_blocks(views, len(pending), now)
        text = count_text(len(pending))
        shown = [v.assignment_id for v in views]
        hidden = len(pending) - len(shown)
        limit = asyncio.Semaphore(CHANNEL_CONCURRENCY)

        async def post(channel: str) -> None:
            async with limit:
                if not self._services.store.claim_digest(channel, day, force=force):
                    report.already_posted.append(channel)
                    return
                try:
                    posted = await self._client.chat_postMessage(
                        channel=channel, text=text, blocks=blocks
                    )
                except SlackApiError as exc:
                    # Slack answered with an error, so nothing was posted: a rerun may post.
                    self._services.store.release_digest(channel, day)
                    report.failed[channel] = str(exc.response.get("error") or exc)
                    return
                except (aiohttp.ClientError, TimeoutError) as exc:
                    # No answer: Slack may have posted, so the claim stays for today.
                    report.failed[channel] = type(exc).__name__
                    return
                self._services.store.record_digest(channel, day, posted["ts"], shown, hidden)
                report.posted.append(channel)

        await asyncio.gather(*(post(c) for c in targets))
        log.info(
            "digest %s: %d pending, posted to %d, already posted to %d, failed %d",
            day,
            report.pending,
            len(report.posted),
            len(report.already_posted),
            len(report.failed),
        )
        return report

    async def views_for(self, assignments: list[Assignment]) -> list[AwardView]:
        """Views of the awards, reusing saved ones (which carry decisions and chat ids)."""
        awards = self._services.awards
        saved = {a.id: awards.view(a.id) for a in assignments}
        fresh = [a for a in assignments if saved[a.id] is None]
        ids = {i for a in fresh for i in [a.assigned_by_id or "", *a.assignee_ids]}
        people = await self._people.lookup(ids)
        chat_ids = await self._services.identities.chat_users_for(
            people.values(), self._directory.user_id_for_email
        )
        badges = {b.id: b for b in await self._services.catalogue.badges()}
        views = []
        for assignment in assignments:
            view = saved[assignment.id]
            if view is None:
                view = view_from_assignment(
                    assignment, badges.get(assignment.badge_id), people, chat_ids
                )
                awards.save_view(view)
            views.append(view)
        return views

    async def redraw(self, channel: str, ts: str) -> None:
        """Redraw a posted digest with each award's current state."""
        post = self._services.store.digest_post(channel, ts)
        if post is None:
            return
        views = [v for v in map(self._services.awards.view, post.assignment_ids) if v]
        total = len(post.assignment_ids) + post.hidden_count
        await self._client.chat_update(
            channel=channel, ts=ts, text=count_text(total), blocks=digest_blocks(views, total)
        )
