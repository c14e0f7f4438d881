"""The award service: giving, delivery, decisions and queries over one award record."""

from __future__ import annotations

from bot.awards.decisions import Decisions
from bot.awards.giving import Giving
from bot.awards.queries import Queries


class AwardService(Giving, Decisions, Queries):
    """Gives awards and records approvals and rejections exactly once.

    A front end turns its input into :class:`bot.identity.ChatProfile` records and calls
    :meth:`give` or :meth:`decide`; it draws the returned :class:`bot.awards.Award`
    however its platform shows things.
    """
