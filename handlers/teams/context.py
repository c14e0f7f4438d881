"""What every Teams handler needs, built once per process, and the incoming activity as
the handlers read it (a :class:`Turn`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache

from bot.digest import DigestJob
from bot.in_flight import InFlight
from bot.recap import RecapJob
from bot.services import Services
from bot.settings import Settings
from bot.store import ConversationRef
from handlers.teams.cards import text_message
from handlers.teams.connector import TeamsConnector
from handlers.teams.directory import Sender, TeamsDirectory
from handlers.teams.graph import TeamsGraph
from handlers.teams.notifications import TeamsNotifier, Unreachable

if TYPE_CHECKING:
    from handlers.teams.home import HomeCard

log = logging.getLogger(__name__)

#: Home cards a process keeps for redrawing (the most recently opened win).
MAX_HOMES = 2000


def new_homes() -> LRUCache[str, HomeCard]:
    """An empty map of people's Teams ids to their home cards."""
    return LRUCache(maxsize=MAX_HOMES)


def run_later(
    in_flight: InFlight,
    tasks: set[asyncio.Task[None]],
    work: Coroutine[Any, Any, None],
    what: str,
) -> None:
    """Run ``work`` as a task kept in ``tasks`` (so it is not collected before it ends),
    counted in ``in_flight``; a failure is logged in one line."""
    in_flight.begin()

    async def run() -> None:
        try:
            await work
        except Exception as exc:
            log.error("Teams %s failed: %s: %s", what, type(exc).__name__, exc)
        finally:
            in_flight.end()

    task = asyncio.create_task(run())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


@dataclass
class Turn:
    """One incoming activity: the wire JSON, who sent it and where it came from."""

    activity: dict[str, Any]
    sender: Sender
    ref: ConversationRef

    @property
    def personal(self) -> bool:
        """Whether it came from the bot's 1:1 chat with the sender."""
        return self.ref.kind == "personal"


@dataclass
class TeamsContext:
    """The domain services plus the Teams-side helpers that share one connector."""

    services: Services
    settings: Settings
    connector: TeamsConnector
    directory: TeamsDirectory
    notifier: TeamsNotifier
    digest: DigestJob
    recap: RecapJob
    in_flight: InFlight
    #: Gives worked on at once (see handlers.slack.context.give_slots for the measure).
    give_slots: asyncio.Semaphore
    #: Microsoft Graph, for the members of a tag no Quantive team is named like.
    graph: TeamsGraph
    #: The references this process has already stored, so an unchanged one (every click
    #: and message in the same chat) costs no database write.
    known_refs: dict[str, ConversationRef] = field(default_factory=dict)
    #: Each person's home card by their Teams id, redrawn when a decision changes it
    #: (handlers.teams.home). Kept in the process, as Slack's ``home_viewers`` are, and
    #: shared by the contexts a workspace is rebuilt into.
    homes: LRUCache[str, HomeCard] = field(default_factory=new_homes)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def later(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` after the activity was answered, counted in ``in_flight``; a
        failure is logged in one line."""
        run_later(self.in_flight, self._tasks, work, what)

    async def reply(self, turn: Turn, text: str) -> None:
        """Answer the sender privately: in their 1:1 chat (what a channel's members need
        not see), or in the thread when the bot cannot write to them there."""
        await self.tell(turn, text_message(text))

    async def tell(self, turn: Turn, activity: dict[str, Any]) -> None:
        """Send a message or a card to the sender privately, as :meth:`reply` does."""
        if not turn.personal:
            try:
                await self.notifier.dm(turn.sender.user_id, activity)
                return
            except Unreachable:
                pass
        await self.notifier.post(turn.ref, activity)

    async def say(self, turn: Turn, activity: dict[str, Any]) -> str:
        """Answer where the activity came from (a card or a message)."""
        return await self.notifier.post(turn.ref, activity)
