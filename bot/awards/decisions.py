"""Decisions: approve or reject an award exactly once, however often and by whom it is
clicked, checked against who may approve, and finished from what Quantive shows when its
answer was lost."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from api import errors
from api.models import AssignRequest
from bot.awards.delivery import PASSING, Delivery
from bot.awards.giving import clean_text, truncate
from bot.awards.record import Award, Decider, held_give, is_held
from bot.identity import ChatProfile
from bot.store import DecisionClaim

log = logging.getLogger(__name__)

Decision = Literal["approve", "reject"]


class DecisionOutcome(Enum):
    """What came of a click on Approve or Reject."""

    DONE = "done"
    #: The person may not approve: nothing was claimed or called.
    NOT_ALLOWED = "not_allowed"
    ALREADY_CLAIMED = "already_claimed"
    HANDLED_ELSEWHERE = "handled_elsewhere"
    #: Quantive gave no answer; the claim is kept and :meth:`Decisions.settle_decision`
    #: (or the worker, later) reads Quantive to finish it.
    UNCERTAIN = "uncertain"
    #: A held award was approved but Quantive cannot take it now: the outbox makes it
    #: once Quantive is back, and tells everyone then.
    QUEUED = "queued"
    #: A held award was approved and made, but Quantive kept it in its queue (its approve
    #: failed): nobody is told it was approved; the next decision on it is Quantive's.
    STILL_IN_QUANTIVE = "still_in_quantive"
    #: A held award was approved but Quantive refused to make it (a 400, say): the record
    #: says "refused", and :attr:`DecisionResult.error` says why, for the giver.
    REFUSED = "refused"
    #: The workspace has no record of such an award (distribution mode): nothing was
    #: claimed, read or called.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DecisionResult:
    """The outcome, the record to redraw, the earlier claim when there was one, and
    Quantive's reason when it refused the award."""

    outcome: DecisionOutcome
    award: Award | None
    earlier: DecisionClaim | None = None
    error: str = ""


class Decisions(Delivery):
    """Approving and rejecting (mixed into AwardService)."""

    def may_approve(self, person: ChatProfile) -> bool:
        """Whether this person may approve and reject awards on their platform."""
        return self._permissions.can_approve(
            person.user_id, platform=person.platform, aliases=person.aliases
        )

    async def decide(
        self, assignment_id: str, decision: Decision, approver: ChatProfile, reason: str = ""
    ) -> DecisionResult:
        """Approve or reject an award exactly once, however often and by whom it is clicked.

        Only an approver of the platform they clicked on may decide (NOT_ALLOWED
        otherwise). The decision is claimed in the database before Quantive is called, so
        a double click or two approvers at once make one call. It is marked done only when
        Quantive confirms it, or shows that the award left its queue. A refusal while the
        award still waits releases the claim and raises api.errors.QuantiveError, so the
        approver can try again; an unanswered call keeps the claim, and the outcome is
        UNCERTAIN until :meth:`settle_decision` reads Quantive.
        """
        if not self.may_approve(approver):
            return DecisionResult(DecisionOutcome.NOT_ALLOWED, await self.award(assignment_id))
        known = (
            await self.award(assignment_id)
            if self._known_awards_only or is_held(assignment_id)
            else None
        )
        if self._known_awards_only and known is None:
            return DecisionResult(DecisionOutcome.UNKNOWN, None)
        if is_held(assignment_id):
            made = known
            if made is not None and made.status == "pending" and made.quantive_assignment_id:
                # Made while held but left in Quantive's queue: it is decided there now,
                # under the id Quantive gave it (the held key is the bot's own).
                assignment_id = made.quantive_assignment_id
        decider = Decider(
            name=approver.name,
            email=approver.email or "",
            chat_user_id=approver.user_id,
            via=approver.platform,
        )
        reason = truncate(clean_text(reason).strip(), 500)
        claimed = await self._store.claim_decision(
            assignment_id, decision, approver.user_id, reason, decider=decider.model_dump_json()
        )
        if not claimed:
            return DecisionResult(
                DecisionOutcome.ALREADY_CLAIMED,
                await self.award(assignment_id),
                await self._store.decision(assignment_id),
            )
        if is_held(assignment_id):
            return await self._decide_held(assignment_id, decision)
        try:
            await self._call_decision(assignment_id, decision)
        except errors.OutcomeUnknown:
            log.warning("decision on %s unanswered; it will be checked", assignment_id)
            return DecisionResult(DecisionOutcome.UNCERTAIN, await self.award(assignment_id))
        except (errors.BadRequest, errors.NotFound) as exc:
            return await self._after_refusal(assignment_id, decision, exc, maybe_ours=False)
        except errors.QuantiveError:
            await self._store.release_decision(assignment_id)
            raise
        return await self._confirmed(assignment_id, decision)

    async def _decide_held(self, held_id: str, decision: Decision) -> DecisionResult:
        """Decide an award the bot holds. Rejected: it is dropped, and nothing ever reaches
        Quantive. Approved: it is assigned through the outbox, exactly once, with the giver
        as ``assignedById``; if Quantive still queues it, the bot approves it there too."""
        give_id = held_give(held_id) or 0
        queued = await self._store.outbox_award(give_id)
        award = await self.award_of_give(give_id)
        state = "rejected" if decision == "reject" else "sending"
        evidence: dict[str, Any] = {}
        if queued is not None and decision == "approve":
            # Read before the release: once released, the row is the worker's to take when
            # it looks stale, and a slow read here must not leave it looking so.
            asked = AssignRequest.model_validate(queued.request)
            evidence = await self._evidence_before(asked, approved_at_once=True)
        if queued is None or award is None or not await self._store.release_held(give_id, state):
            await self._store.finish_decision(held_id)
            return DecisionResult(DecisionOutcome.HANDLED_ELSEWHERE, await self.award(held_id))
        if decision == "reject":
            return await self._confirmed(held_id, decision)
        # No longer held: the queue and the digest stop offering it for a decision.
        award = await self._save(award.model_copy(update={"status": "sending"}))
        assign = AssignRequest.model_validate(queued.request)
        await self._store.update_evidence(give_id, evidence)
        await self._store.finish_decision(held_id)  # the outbox owns the award from here
        try:
            delivered = await self._attempt(give_id, 1, assign, award, raise_queued=False)
        except (*PASSING, errors.OutcomeUnknown):
            return DecisionResult(DecisionOutcome.QUEUED, await self.award(held_id))
        except errors.QuantiveError as exc:
            # Quantive will never make it (the outbox row is closed as refused): the record
            # keeps who approved it and why Quantive would not, so no message says approved.
            log.warning("held award %s approved, but Quantive refused it: %s", held_id, exc)
            return DecisionResult(
                DecisionOutcome.REFUSED,
                await self._refused(held_id, exc.user_message),
                error=exc.user_message,
            )
        if delivered.status != "approved":
            # Made, but it waits in Quantive's queue: nobody is told it was approved.
            return DecisionResult(DecisionOutcome.STILL_IN_QUANTIVE, delivered)
        return await self._confirmed(held_id, decision, finished=True)

    async def _refused(self, held_id: str, why: str) -> Award | None:
        """The record of an approved held award that Quantive refused: who approved it,
        when, and Quantive's reason (``reason``), drawn as refused everywhere."""
        claim = await self._store.decision(held_id)
        award = await self.award(held_id)
        if award is None:
            return None
        return await self._save(
            award.model_copy(
                update={
                    "status": "refused",
                    "decided_by": Decider.model_validate_json(claim.decider) if claim else None,
                    "decided_at": time.time(),
                    "reason": why,
                }
            )
        )

    async def settle_decision(self, assignment_id: str) -> DecisionResult:
        """Finish a claimed decision whose answer was lost, from what Quantive shows.

        Gone from the queue: it was decided (by this call or someone else), so every effect
        runs now. Still waiting: the call is made again, which cannot double anything, since
        Quantive answers 400 to a second decision.
        """
        claim = await self._store.decision(assignment_id)
        if claim is None or claim.done:
            return DecisionResult(
                DecisionOutcome.ALREADY_CLAIMED, await self.award(assignment_id), claim
            )
        decision: Decision = "approve" if claim.decision == "approve" else "reject"
        if is_held(assignment_id):
            return await self._settle_held(assignment_id, decision)
        if not await self._still_pending(assignment_id):
            approved = await self._was_approved(assignment_id)
            return await self._finish_gone(assignment_id, decision, approved, maybe_ours=True)
        try:
            await self._call_decision(assignment_id, decision)
        except errors.OutcomeUnknown:
            return DecisionResult(DecisionOutcome.UNCERTAIN, await self.award(assignment_id))
        except (errors.BadRequest, errors.NotFound) as exc:
            # The first, unanswered call may have been the one that decided it.
            return await self._after_refusal(assignment_id, decision, exc, maybe_ours=True)
        return await self._confirmed(assignment_id, decision)

    async def _settle_held(self, held_id: str, decision: Decision) -> DecisionResult:
        """A decision on a held award cut off by a crash: nothing of it is in Quantive's
        queue to read. Still held: decide it now. Released already: the outbox owns it
        and tells everyone once it is made."""
        queued = await self._store.outbox_award(held_give(held_id) or 0)
        if queued is not None and queued.state == "held":
            return await self._decide_held(held_id, decision)
        await self._store.finish_decision(held_id)
        return DecisionResult(DecisionOutcome.QUEUED, await self.award(held_id))

    async def _call_decision(self, assignment_id: str, decision: Decision) -> None:
        if decision == "approve":
            await self._quantive.approve(assignment_id)
        else:
            await self._quantive.reject(assignment_id)

    async def _confirmed(
        self, assignment_id: str, decision: Decision, *, finished: bool = False
    ) -> DecisionResult:
        """Quantive confirmed the decision: the record says who decided, and when.

        Only the caller that moves the claim to done goes on (``finished``: this caller did
        already); another process that settled the same claim meanwhile gets
        ALREADY_CLAIMED, so the news goes out once.
        """
        claim = await self._store.decision(assignment_id)
        if not finished and not await self._store.finish_decision(assignment_id):
            return await self._settled_elsewhere(assignment_id)
        status = "approved" if decision == "approve" else "rejected"
        log.info("award %s %s", assignment_id, status)
        award = await self.award(assignment_id)
        if award is not None:
            award = await self._save(
                award.model_copy(
                    update={
                        "status": status,
                        "decided_by": Decider.model_validate_json(claim.decider) if claim else None,
                        "decided_at": time.time(),
                        "reason": claim.reason if claim else "",
                    }
                )
            )
        return DecisionResult(DecisionOutcome.DONE, award)

    async def _after_refusal(
        self,
        assignment_id: str,
        decision: Decision,
        exc: errors.QuantiveError,
        *,
        maybe_ours: bool,
    ) -> DecisionResult:
        """Quantive refused the decision (400 or 404): act on what its queue shows."""
        try:
            pending = await self._still_pending(assignment_id)
        except errors.QuantiveError:
            await self._store.release_decision(assignment_id)
            raise exc from None
        if pending:
            # Still waiting: the refusal was about this request, so nothing was decided.
            await self._store.release_decision(assignment_id)
            raise exc
        approved = await self._was_approved(assignment_id) if maybe_ours else None
        return await self._finish_gone(assignment_id, decision, approved, maybe_ours=maybe_ours)

    async def _finish_gone(
        self, assignment_id: str, decision: Decision, approved: bool | None, *, maybe_ours: bool
    ) -> DecisionResult:
        """The award left the queue. After an unanswered call of ours, it was ours unless
        what Quantive shows contradicts our decision; otherwise someone decided it
        elsewhere (or deleted it)."""
        if maybe_ours and (approved is None or approved == (decision == "approve")):
            return await self._confirmed(assignment_id, decision)
        if not await self._store.finish_decision(assignment_id):
            return await self._settled_elsewhere(assignment_id)
        award = await self.award(assignment_id)
        if award is not None:
            award = await self._save(
                award.model_copy(
                    update={
                        "status": "handled",
                        "decided_by": Decider(via="quantive"),
                        "decided_at": time.time(),
                    }
                )
            )
        return DecisionResult(DecisionOutcome.HANDLED_ELSEWHERE, award)

    async def _settled_elsewhere(self, assignment_id: str) -> DecisionResult:
        """Another caller moved the claim to done first: it tells everyone, not this one."""
        return DecisionResult(
            DecisionOutcome.ALREADY_CLAIMED,
            await self.award(assignment_id),
            await self._store.decision(assignment_id),
        )

    async def _still_pending(self, assignment_id: str) -> bool:
        return any(a.id == assignment_id for a in await self._quantive.list_pending_approvals())

    async def _was_approved(self, assignment_id: str) -> bool | None:
        """Whether an award that left the queue was approved: its recipients hold the badge.
        None when the bot never showed the award, so it cannot tell."""
        award = await self.award(assignment_id)
        if award is None or not award.recipients:
            return None
        try:
            holders = await self._quantive.badge_holders(award.badge_id)
        except errors.NotFound:
            return False  # the badge itself is gone
        held = holders.holder_ids()
        return all(r.quantive_id in held for r in award.recipients if r.quantive_id)

    async def recover_decisions(self, claimed_before: float) -> list[Award]:
        """Finish decisions left unconfirmed: the process died between the claim and
        Quantive's answer, or the answer never came. Returns the records to redraw and tell
        of: only those this process moved to done, so every process may run this at once.

        Each stale claim is taken first (see DecisionClaims.take_decision), so one process
        settles it; finishing it is conditional too, in case its first owner still lives.
        """
        found = []
        for claim in await self._store.unfinished_decisions(claimed_before):
            if not await self._store.take_decision(claim.assignment_id, claimed_before):
                continue  # another process took it first
            try:
                result = await self.settle_decision(claim.assignment_id)
            except errors.QuantiveError as exc:
                log.warning("decision on %s still not confirmed: %s", claim.assignment_id, exc)
                continue
            if result.award is not None and result.outcome in _TOLD:
                found.append(result.award)
        return found


#: The outcomes whose caller moved the claim to done, and so tells everyone.
_TOLD = (DecisionOutcome.DONE, DecisionOutcome.HANDLED_ELSEWHERE)
