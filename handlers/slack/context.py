"""What every listener needs, built once per process and handed to ``register``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot.digest import DigestJob
from bot.recap import RecapJob
from bot.services import Services
from handlers.slack.directory import SlackDirectory
from handlers.slack.notifications import Notifier


@dataclass
class SlackContext:
    """The domain services plus the Slack-side helpers that share one Web API client."""

    services: Services
    directory: SlackDirectory
    notifier: Notifier
    digest: DigestJob
    recap: RecapJob
    #: Gives worked on at once after their ack (see bot.services.give_slots).
    give_slots: asyncio.Semaphore
    #: Who opened their Home tab since start, so decisions refresh just those tabs.
    home_viewers: set[str] = field(default_factory=set)
    #: Each listener made for this context (handlers.slack.workspace_contexts).
    listeners: dict[Any, Any] = field(default_factory=dict)
