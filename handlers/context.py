"""What every listener needs, built once per process and handed to ``register``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.digest import DigestJob
from bot.services import Services
from handlers.notifications import Notifier
from handlers.slack_directory import SlackDirectory

#: Measured with bench.give_throughput on PostgreSQL, 20 senders flooding: unbounded, ack
#: p99 was 2.05 s; with 8 at once, 221 ms and 13% more gives per second.
GIVES_AT_ONCE = 8


@dataclass
class SlackContext:
    """The domain services plus the Slack-side helpers that share one Web API client."""

    services: Services
    directory: SlackDirectory
    notifier: Notifier
    digest: DigestJob
    #: Who opened their Home tab since start, so decisions refresh just those tabs.
    home_viewers: set[str] = field(default_factory=set)
    #: Gives worked on at once after their ack (see handlers.give_flow.give).
    give_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(GIVES_AT_ONCE))
