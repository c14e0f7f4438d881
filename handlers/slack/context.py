"""What every listener needs, built once per process and handed to ``register``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.digest import DigestJob
from bot.services import Services
from bot.settings import Settings
from handlers.slack.directory import SlackDirectory
from handlers.slack.notifications import Notifier


@dataclass
class SlackContext:
    """The domain services plus the Slack-side helpers that share one Web API client."""

    services: Services
    directory: SlackDirectory
    notifier: Notifier
    digest: DigestJob
    #: Gives worked on at once after their ack (see handlers.slack.give_flow.give).
    give_slots: asyncio.Semaphore
    #: Who opened their Home tab since start, so decisions refresh just those tabs.
    home_viewers: set[str] = field(default_factory=set)


def give_slots(settings: Settings) -> asyncio.Semaphore:
    """Room for twice as many gives as Quantive requests in flight
    (QUANTIVE_MAX_CONCURRENCY): more would only wait for Quantive while they crowd the
    event loop. Measured with bench.give_throughput, 20 senders flooding one process on
    PostgreSQL: unbounded, ack p99 2.05 s; 8 slots 174 ms; 32 (the default) 210 ms and the
    most gives per second; 64, 504 ms.
    """
    return asyncio.Semaphore(2 * settings.quantive_max_concurrency)
