"""What the core needs from a chat front end, as small interfaces (ports) that each front
end implements. The core never imports a chat SDK: it calls these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.awards import Award, Party, QueuedResult
from bot.chat import Platform
from bot.effects import effects


@dataclass(frozen=True)
class Audience:
    """Whom one platform tells about an award: each person hears on the platform where
    they were reached, and the celebration goes where the award was given."""

    giver: bool
    recipients: list[Party]
    celebrate: bool


def audience(award: Award, platform: Platform) -> Audience:
    """Who on ``platform`` hears about a decided award."""
    return Audience(
        giver=award.status != "handled"
        and bool(award.giver.chat_user_id)
        and award.giver.platform == platform,
        recipients=[r for r in award.recipients if r.chat_user_id and r.platform == platform]
        if award.status == "approved"
        else [],
        celebrate=award.status == "approved" and award.platform == platform,
    )


class AwardNotices(Protocol):
    """Tells people in the chat what became of awards that the core finished on its own
    (in the background worker), and carries on as the interactive flow would have."""

    async def queued_result(self, result: QueuedResult) -> None:
        """A queued give was delivered, refused, or could not be confirmed: tell the giver,
        and ask for approval or celebrate as a give would."""

    async def decided(self, award: Award) -> None:
        """A decision is confirmed: redraw every message of this platform that shows the
        award, and tell the people reached on this platform (see :func:`audience`)."""


class NoticeBoard:
    """Every running front end's :class:`AwardNotices`, told together.

    An award given on one platform may be decided on another (decisions are claimed by
    Quantive's assignment id, whoever clicks), so each outcome goes to every front end:
    each redraws the messages it posted and tells only the people reached on it. One
    front end failing never keeps the others from hearing.
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

    async def decided(self, award: Award) -> None:
        """Tell every front end about a decision."""
        await effects({f"{type(n).__name__} decided": n.decided(award) for n in self._subscribers})


def notice_key(award: Award) -> str:
    """The award's part of a notice's idempotency key: its record, which every award has
    once stored (an award recognised only by its holders has no Quantive id to use)."""
    return f"award-{award.id}" if award.id is not None else award.assignment_id
