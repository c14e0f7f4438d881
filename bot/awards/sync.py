"""Settling awards that were decided in Quantive's web app: the record says it was decided
there, approved or rejected as Quantive's holders show, exactly once however many processes
try (the job that finds them is bot.sync)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from api import errors
from bot.awards.core import AwardCore
from bot.awards.record import Award, Decider, award_row, is_held
from bot.store import WaitingKey

log = logging.getLogger(__name__)

#: Who claims a decision made in Quantive, in ``decision_claims.decided_by``: no chat id.
DECIDED_IN_QUANTIVE = "quantive"


@dataclass
class SyncOutcome:
    """What one look at the awards that left the queue came to."""

    #: Records settled by this call (approved, rejected, or handled when nothing tells):
    #: redraw them and tell people.
    settled: list[Award] = field(default_factory=list)
    #: Records whose outcome nothing can tell, so looking again would only cost a read.
    undecided: set[int] = field(default_factory=set)


def verdict(
    recipients: Iterable[str], holders_before: Iterable[str] | None, holders_now: set[str]
) -> bool | None:
    """Whether an award that left the queue was approved, from who holds its badge.

    Quantive lists holders without their assignment ids, so holding the badge proves this
    award only for a recipient who did not hold it before the give (the outbox kept who
    did): then approved is "some newcomer holds it now". With no such record (an award
    given in Quantive), holding it now is the evidence. None when nothing can tell: no
    recipient is known, or every one held the badge already.
    """
    wanted = set(recipients)
    if not wanted:
        return None
    if holders_before is None:
        return bool(wanted & holders_now)
    newcomers = wanted - set(holders_before)
    if not newcomers:
        return None
    return bool(newcomers & holders_now)


class Syncing(AwardCore):
    """Settling decisions made in Quantive (mixed into AwardService)."""

    async def settle_from_quantive(self, gone: list[WaitingKey]) -> SyncOutcome:
        """Settle each award that left Quantive's queue: one holders read per badge, then
        each record moves once (see :meth:`_settle_one`). A badge whose holders cannot be
        read now is left for the next look."""
        outcome = SyncOutcome()
        by_badge: dict[str, list[tuple[WaitingKey, Award]]] = defaultdict(list)
        for key in gone:
            award = await self.award(key.assignment_id)
            if award is not None and award.id == key.record_id and award.status == key.status:
                by_badge[award.badge_id].append((key, award))
        for badge_id, group in by_badge.items():
            try:
                holders: set[str] | None = (
                    await self._quantive.badge_holders(badge_id)
                ).holder_ids()
            except errors.NotFound:
                holders = None  # the badge was deleted: nothing shows what became of it
            except errors.QuantiveError as exc:
                log.warning("holders of %s unknown; its awards wait: %s", badge_id, exc)
                continue
            for key, award in group:
                approved = None
                if holders is not None:
                    approved = verdict(
                        (r.quantive_id for r in award.recipients if r.quantive_id),
                        await self._holders_before(award),
                        holders,
                    )
                if approved is None and award.status == "handled":
                    outcome.undecided.add(key.record_id)  # it says so already
                    continue
                settled = await self._settle_one(award, approved)
                if settled is not None:
                    outcome.settled.append(settled)
                    if approved is None:
                        outcome.undecided.add(key.record_id)
        return outcome

    async def _holders_before(self, award: Award) -> list[str] | None:
        """Who held the badge before the give went out, when the outbox recorded it."""
        if award.give_id is None:
            return None
        queued = await self._store.outbox_award(award.give_id)
        before: Any = queued.evidence.get("holders_before") if queued is not None else None
        return [str(h) for h in before] if isinstance(before, list) else None

    async def _settle_one(self, award: Award, approved: bool | None) -> Award | None:
        """Record what Quantive decided; the record, or None when someone else got there.

        A pending award's decision is claimed first, as a click claims it: a click made at
        the same moment wins or loses as a second click would, and a click afterwards finds
        the claim and calls nothing. (A crash after the claim is finished by the worker's
        recovery, from the same evidence.) The record then moves only if it is still as it
        was read, so whichever process moves it is the one that tells people.
        """
        assert award.id is not None, "only stored records are settled"
        claim = award.status == "pending" and not is_held(award.assignment_id)
        decider = Decider(via="quantive")
        if claim and not await self._store.claim_decision(
            award.assignment_id,
            "approve" if approved else "reject",
            DECIDED_IN_QUANTIVE,
            decider=decider.model_dump_json(),
        ):
            return None  # an approver's click is being decided; it finishes the award
        status = {True: "approved", False: "rejected", None: "handled"}[approved]
        settled = award.model_copy(
            update={
                "status": status,
                "decided_by": decider,
                "decided_at": time.time(),
                "reason": "",
            }
        )
        moved = await self._store.settle_award(award.id, award.status, award_row(settled))
        if claim:
            await self._store.finish_decision(award.assignment_id)
        if not moved:
            return None
        log.info("award %s %s in Quantive", award.assignment_id, status)
        return settled


def decided_in_quantive(award: Award | None) -> str | None:
    """How an award decided in Quantive's web app ended, for the answer to a late click
    ("approved", "declined", or "approved or declined" when nothing tells); None when it
    was not decided there."""
    if award is None or award.decided_by is None or award.decided_by.via != "quantive":
        return None
    return {"approved": "approved", "rejected": "declined", "handled": "approved or declined"}.get(
        award.status
    )
