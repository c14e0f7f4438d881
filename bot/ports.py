"""What the core needs from a chat front end, as small interfaces (ports) that each front
end implements. The core never imports a chat SDK: it calls these."""

from __future__ import annotations

from typing import Protocol

from bot.awards import AwardView, QueuedResult


class AwardNotices(Protocol):
    """Tells people in the chat what became of awards that the core finished on its own
    (in the background worker), and carries on as the interactive flow would have."""

    async def queued_result(self, result: QueuedResult) -> None:
        """A queued give was delivered, refused, or could not be confirmed: tell the giver,
        and ask for approval or celebrate as a give would."""

    async def decided(self, view: AwardView) -> None:
        """A decision cut off by a crash is confirmed: redraw every message that shows
        the award and tell the giver and the recipients."""
