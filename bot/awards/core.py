"""What every part of the award service shares: its collaborators and the record's
storage. The parts (giving, delivery, decisions, queries) are mixins of
:class:`bot.awards.service.AwardService`."""

from __future__ import annotations

from typing import Literal

from api import QuantiveClient
from bot.awards.record import Award, award_from_row, award_row
from bot.give_limits import GiveLimit
from bot.identity import IdentityResolver
from bot.permissions import Permissions
from bot.store import Store


class AwardCore:
    """The award service's collaborators and settings."""

    def __init__(
        self,
        quantive: QuantiveClient,
        store: Store,
        identities: IdentityResolver,
        permissions: Permissions,
        *,
        notification_strategy: str | None = None,
        retry_base: float = 2.0,
        retry_cap: float = 300.0,
        settle_seconds: float = 30.0,
        approval_mode: Literal["quantive", "bot"] = "quantive",
        give_limit: GiveLimit | None = None,
        known_awards_only: bool = False,
    ) -> None:
        self._quantive = quantive
        self._store = store
        self._identities = identities
        self._permissions = permissions
        self._notification_strategy = notification_strategy
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._settle_seconds = settle_seconds
        self._approval_mode = approval_mode
        self._give_limit = give_limit
        #: Decide only awards this workspace has a record of: with many workspaces, an id
        #: from another's buttons must reach no Quantive (the single workspace also
        #: decides awards it only meets in Quantive's queue).
        self._known_awards_only = known_awards_only

    @property
    def known_awards_only(self) -> bool:
        """Whether only awards this workspace has a record of may be decided, so a front
        end can say "unknown" before it asks anything about one it has no record of."""
        return self._known_awards_only

    async def award(self, assignment_id: str) -> Award | None:
        """The record of the award with this key (or Quantive id), if the bot has one."""
        row = await self._store.award_row(assignment_id)
        return award_from_row(row) if row else None

    async def award_of_give(self, give_id: int) -> Award | None:
        """The record of a give through the bot."""
        row = await self._store.award_row_by_give(give_id)
        return award_from_row(row) if row else None

    async def _save(self, award: Award) -> Award:
        """Store a changed record (it must have been stored before)."""
        assert award.id is not None, "only stored records are saved"
        await self._store.save_award(award.id, award_row(award))
        return award
