"""What the core needs from a chat front end, as small interfaces (ports) that each front
end implements. The core never imports a chat SDK: it calls these."""

from __future__ import annotations

from typing import Protocol

from bot.awards import AwardView, QueuedResult
from bot.effects import effects


class AwardNotices(Protocol):
    """Tells people in the chat what became of awards that the core finished on its own
    (in the background worker), and carries on as the interactive flow would have."""

    async def queued_result(self, result: QueuedResult) -> None:
        """A queued give was delivered, refused, or could not be confirmed: tell the giver,
        and ask for approval or celebrate as a give would."""

    async def decided(self, view: AwardView) -> None:
        """A decision cut off by a crash is confirmed: redraw every message that shows
        the award and tell the giver and the recipients."""


class NoticeBoard:
    """Every running front end's :class:`AwardNotices`, told together.

    An award given on one platform may be decided on another (decisions are claimed by
    Quantive's assignment id, whoever clicks), so each outcome goes to every front end:
    each redraws the messages it posted and tells the people of the awards given on it.
    One front end failing never keeps the others from hearing.
    """

    def __init__(self) -> None:
        self._subscribers: list[AwardNotices] = []

    def subscribe(self, notices: AwardNotices) -> None:
        """Add a front end's notices (once per process)."""
        self._subscribers.append(notices)

    async def queued_result(self, result: QueuedResult) -> None:
        """Tell every front end what became of a queued give."""
        await effects(
            {f"{type(n).__name__} queued": n.queued_result(result) for n in self._subscribers}
        )

    async def decided(self, view: AwardView) -> None:
        """Tell every front end about a decision."""
        await effects({f"{type(n).__name__} decided": n.decided(view) for n in self._subscribers})
