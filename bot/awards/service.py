"""The award service: giving, delivery, decisions, queries and the sync with Quantive's
web app over one award record."""

from __future__ import annotations

from bot.awards.decisions import Decisions
from bot.awards.giving import Giving
from bot.awards.queries import Queries
from bot.awards.sync import Syncing


class AwardService(Giving, Decisions, Queries, Syncing):
    """Gives awards and records approvals and rejections exactly once.

    A front end turns its input into :class:`bot.identity.ChatProfile` records and calls
    :meth:`give` or :meth:`decide`; it draws the returned :class:`bot.awards.Award`
    however its platform shows things.
    """
