"""Delivery: the assign call of an accepted give, the evidence that recognises it in
Quantive later, and the outbox's retries, so that an award is made once however often the
call is cut off."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from api import errors
from api.models import Assignment, AssignRequest
from bot.awards.core import AwardCore
from bot.awards.record import Award, Decider, Status, is_held
from bot.store import OutboxAward

log = logging.getLogger(__name__)

#: Quantive's answers that say it could not take the award now: send again later.
PASSING = (errors.RateLimited, errors.Unreachable, errors.ServerError)


class AwardQueued(Exception):
    """Quantive could not take the award now; it is kept and will be delivered once.

    ``timed_out`` is True when no answer came back at all, so the giver is told that the
    bot will check; either way the outbox looks for the award before sending it again.
    """

    def __init__(self, award: Award, *, timed_out: bool) -> None:
        super().__init__(award.badge_name)
        self.award = award
        self.timed_out = timed_out


class QueuedOutcome(Enum):
    """What became of a queued award on one try of the worker."""

    DELIVERED = "delivered"
    WAITING = "waiting"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class QueuedResult:
    """A queued award after one try: its outcome, its record, and Quantive's reason when
    it refused the award."""

    outcome: QueuedOutcome
    award: Award
    error: str = ""


class Delivery(AwardCore):
    """Sending awards to Quantive exactly once (mixed into AwardService)."""

    async def _evidence_before(
        self, assign: AssignRequest, *, approved_at_once: bool
    ) -> dict[str, Any]:
        """What must be known before the assign goes out, to recognise the award later.

        Quantive's holders list has no assignment ids, so "every recipient holds the badge"
        proves nothing about *this* award; a recipient who did not hold it before and does
        now does. A giver who may approve is likely approved at once (no pending entry to
        find), which decides whether a missing award can be safely sent again.
        """
        evidence: dict[str, Any] = {"approved_at_once": approved_at_once, "holders_before": None}
        try:
            holders = await self._quantive.badge_holders(assign.badge_id)
        except errors.QuantiveError as exc:
            log.info("holders of %s unknown before the give: %s", assign.badge_id, exc)
            return evidence
        evidence["holders_before"] = sorted(holders.holder_ids())
        return evidence

    async def _attempt(
        self,
        give_id: int,
        attempt: int,
        assign: AssignRequest,
        award: Award,
        *,
        raise_queued: bool,
        lease: float | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> Award:
        """Assign call number ``attempt`` for a give, recording the outcome. A worker's
        try carries the row's ``lease``: if another worker took the row since (this one
        was slowed past the stale window), nothing is sent and _TakenOver is raised."""
        if not await self._store.mark_award_sent(give_id, lease=lease, evidence=evidence):
            raise _TakenOver(give_id)
        try:
            assignment = await self._quantive.assign_badge(assign)
        except PASSING as exc:
            await self._store.retry_award_later(give_id, "queued", self._delay(attempt), str(exc))
            if raise_queued:
                raise AwardQueued(award, timed_out=False) from None
            raise
        except errors.OutcomeUnknown as exc:
            await self._store.retry_award_later(
                give_id, "uncertain", self._delay(attempt), str(exc), answered=_answered(exc)
            )
            if raise_queued:
                raise AwardQueued(award, timed_out=not _answered(exc)) from None
            raise
        except errors.QuantiveError as exc:
            await self._store.finish_award(give_id, "refused", error=str(exc))
            await self._save(award.model_copy(update={"status": "refused"}))
            raise
        return await self._delivered(give_id, award, assignment)

    async def _delivered(self, give_id: int, award: Award, assignment: Assignment) -> Award:
        """Record what Quantive made of a give. ``assignment.id`` is "" when the award was
        recognised by its holders only (Quantive lists no ids there)."""
        update: dict[str, Any] = {
            "assigned_on": assignment.assigned_on or award.assigned_on,
            "status": "approved" if assignment.state == "approved" else "pending",
        }
        if is_held(award.assignment_id):
            # Its messages and claim are filed under the held key; Quantive's id is kept
            # beside it. An approver approved it, so the record names them, and Quantive
            # is told to approve it too if it queued it.
            update["quantive_assignment_id"] = assignment.id or None
            claim = await self._store.decision(award.assignment_id)
            if claim is not None:
                update["decided_by"] = Decider.model_validate_json(claim.decider)
                update["decided_at"] = time.time()
            if update["status"] == "pending" and assignment.id:
                update["status"] = await self._approve_made(award.assignment_id, assignment.id)
        else:
            update["assignment_id"] = assignment.id
            seen = await self.award(assignment.id) if assignment.id else None
            if seen is not None and seen.give_id is None and seen.decided_by is not None:
                # A digest showed it, and someone decided it, before the give learnt its
                # id: that record is this award, and its decision is kept.
                update.update(
                    status=seen.status,
                    decided_by=seen.decided_by,
                    decided_at=seen.decided_at,
                    reason=seen.reason,
                )
        award = await self._save(award.model_copy(update=update))
        await self._store.finish_award(give_id, "delivered", assignment.id or None)
        log.info(
            "award %s: %s to %d recipient(s), %s",
            award.assignment_id or f"of give {give_id}",
            award.badge_id,
            len(award.recipients),
            award.status,
        )
        return award

    async def _approve_made(self, held_id: str, made_as: str) -> Status:
        """Approve in Quantive a held award that an approver approved and Quantive queued
        anyway; "pending" when Quantive would not (it then waits in Quantive's queue)."""
        try:
            await self._quantive.approve(made_as)
        except errors.QuantiveError as exc:
            log.warning("held award %s waits in Quantive's queue: %s", held_id, exc)
            return "pending"
        return "approved"

    def _delay(self, attempt: int) -> float:
        """Seconds before the next try, after try number ``attempt`` failed."""
        return min(self._retry_cap, self._retry_base * 2 ** max(attempt - 1, 0))

    async def first_send_evidence(self, queued: OutboxAward) -> dict[str, Any] | None:
        """What a row never sent lacks to be recognised after a lost answer (a held award
        whose approver's process died between release and send), read as the approval
        itself would have (bot.awards.decisions); None for any other row. The worker asks
        before it takes the row, so a slow read holds no lease that could run out."""
        if queued.sent_at is not None or queued.evidence:
            return None
        assign = AssignRequest.model_validate(queued.request)
        return await self._evidence_before(assign, approved_at_once=True)

    async def deliver_queued(
        self,
        queued: OutboxAward,
        lease: float | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> QueuedResult | None:
        """Try a queued award once more; the caller has taken the row (``lease`` is what
        taking it returned; ``evidence``, what :meth:`first_send_evidence` read). None when
        the give has no record (it cannot be told to anyone, so it is given up with a
        log), or when another worker took the row over meanwhile.

        An award whose earlier call may have reached Quantive is looked for first, and
        sent again only when Quantive is done with the first call and still shows nothing:
        at once when that call was answered (a 5xx), else once ``settle_seconds`` have
        passed since it went out. When Quantive cannot show anything (see
        _evidence_before), the award is given up as unknown rather than risk making it twice.
        """
        award = await self.award_of_give(queued.id)
        if award is None:
            log.error("outbox award %d has no record; given up", queued.id)
            await self._store.finish_award(queued.id, "unknown", error="no record")
            return None
        assign = AssignRequest.model_validate(queued.request)
        attempt = queued.attempts  # taking the row counted this try
        # A row never sent (an approved held award whose process died before the send)
        # cannot be in Quantive: it goes straight out.
        if queued.state in ("uncertain", "sending") and queued.sent_at is not None:
            try:
                existing = await self._find_existing(assign, queued)
            except errors.QuantiveError as exc:
                await self._store.retry_award_later(
                    queued.id, "uncertain", self._delay(attempt), str(exc)
                )
                return QueuedResult(QueuedOutcome.WAITING, award)
            if existing is not None:
                log.info("outbox award %d was already in Quantive", queued.id)
                delivered = await self._delivered(queued.id, award, existing)
                return QueuedResult(QueuedOutcome.DELIVERED, delivered)
            settled_at = queued.sent_at + self._settle_seconds
            if not queued.answered and time.time() < settled_at:
                # Quantive may still be working on the first call: look again later.
                await self._store.retry_award_later(
                    queued.id, "uncertain", max(settled_at - time.time(), 0.05), "not found yet"
                )
                return QueuedResult(QueuedOutcome.WAITING, award)
            if not _absence_is_proof(assign, queued.evidence):
                log.warning("outbox award %d: made or not, Quantive cannot show it", queued.id)
                await self._store.finish_award(queued.id, "unknown", error="no evidence either way")
                award = await self._save(award.model_copy(update={"status": "unknown"}))
                return QueuedResult(QueuedOutcome.UNKNOWN, award)
        try:
            made = await self._attempt(
                queued.id,
                attempt,
                assign,
                award,
                raise_queued=False,
                lease=lease,
                evidence=evidence,
            )
            return QueuedResult(QueuedOutcome.DELIVERED, made)
        except _TakenOver:
            log.info("outbox award %d was taken over by another worker; not sent", queued.id)
            return None
        except (*PASSING, errors.OutcomeUnknown):
            return QueuedResult(QueuedOutcome.WAITING, award)
        except errors.QuantiveError as exc:
            log.warning("outbox award %d refused by Quantive: %s", queued.id, exc)
            refused = await self.award_of_give(queued.id) or award
            return QueuedResult(QueuedOutcome.REFUSED, refused, exc.user_message)

    async def _find_existing(self, assign: AssignRequest, queued: OutboxAward) -> Assignment | None:
        """This award in Quantive, found by evidence that identifies it, or None.

        Pending: an entry of the approval queue with the same badge, giver, recipients and
        comment, not already matched to another give. Approved: every recipient that did
        not hold the badge before the give holds it now; Quantive lists no id for it then,
        and the bot makes none up.
        """
        wanted = set(assign.assignee_ids)
        for pending in await self._quantive.list_pending_approvals():
            if (
                pending.badge_id == assign.badge_id
                and pending.assigned_by_id == assign.assigned_by_id
                and set(pending.assignee_ids) == wanted
                and (pending.comment or "") == (assign.comment or "")
                and not await self._store.assignment_delivered(pending.id)
            ):
                return pending
        before = queued.evidence.get("holders_before")
        if before is None:
            return None
        newcomers = wanted - set(before)
        if not newcomers:
            return None
        holders = await self._quantive.badge_holders(assign.badge_id)
        if newcomers <= holders.holder_ids():
            return Assignment(
                id="", badge_id=assign.badge_id, assignee_ids=sorted(wanted), status="approved"
            )
        return None


class _TakenOver(Exception):
    """Another worker took the outbox row while this one was slowed: it sends, not us."""


def _answered(exc: errors.OutcomeUnknown) -> bool:
    """Whether Quantive answered the call (a 5xx), and so is done with it: what it shows
    now is all it will ever show of that call. A timeout or a dropped connection has no
    status, and a 504 is a gateway's "no answer in time": Quantive may still be at work."""
    return exc.status is not None and exc.status != 504


def _absence_is_proof(assign: AssignRequest, evidence: dict[str, Any]) -> bool:
    """Whether finding nothing in Quantive proves the award was not made.

    It does when the award would have waited in the queue (a giver who is not an approver),
    or when some recipient did not hold the badge before and would hold it now.
    """
    if not evidence.get("approved_at_once", True):
        return True
    before = evidence.get("holders_before")
    return before is not None and bool(set(assign.assignee_ids) - set(before))
