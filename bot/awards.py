"""The rules for giving and deciding awards, independent of the chat platform.

A front end (Slack today, Teams later) turns its input into :class:`ChatProfile` records
and calls :meth:`AwardService.give` or :meth:`AwardService.decide`; it then shows the
returned :class:`AwardView` however its platform shows things.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field

from api import QuantiveClient, errors
from api.models import Assignment, AssignRequest, Badge, Team
from api.paths import is_plausible_id
from bot.chat import Platform
from bot.give_limits import GiveLimit
from bot.identity import ChatProfile, IdentityResolver, Unresolved
from bot.people import Person
from bot.permissions import Permissions
from bot.store import DecisionClaim, GivenAward, OutboxAward, Store

__all__ = ["is_plausible_id"]  # re-exported for the front ends' button checks

log = logging.getLogger(__name__)

Decision = Literal["approve", "reject"]
#: Quantive's comment limit is undocumented; this keeps messages and requests reasonable.
MAX_COMMENT = 1000


class Party(BaseModel):
    """A giver or recipient as shown in chat: a chat user when known, else a name."""

    name: str
    chat_user_id: str | None = None
    quantive_id: str | None = None
    is_team: bool = False
    email: str | None = None


class AwardView(BaseModel):
    """Everything a message about an award shows; saved so messages can be redrawn."""

    assignment_id: str
    badge_id: str
    badge_name: str
    badge_icon: str = ""
    giver: Party
    recipients: list[Party] = Field(default_factory=list)
    comment: str = ""
    assigned_on: str | None = None
    status: Literal["pending", "approved", "rejected", "handled"] = "pending"
    decided_by: str | None = None
    #: The approver's name, for a platform where ``decided_by`` (a chat id) means nothing.
    decided_by_name: str = ""
    reason: str = ""
    #: Where the award was given, for the celebration when no announce channel is set.
    origin_channel: str | None = None
    #: The platform it was given on: the chat ids of its parties and origin belong to it.
    platform: Platform = "slack"


class GiveRefused(Exception):
    """The award was not made; the message says why and what to do."""


class AwardQueued(Exception):
    """Quantive could not take the award now; it is kept and will be delivered once.

    ``timed_out`` is True when no answer came back at all, so the giver is told that the
    bot will check; either way the outbox looks for the award before sending it again.
    """

    def __init__(self, view: AwardView, *, timed_out: bool) -> None:
        super().__init__(view.badge_name)
        self.view = view
        self.timed_out = timed_out


class QueuedOutcome(Enum):
    """What became of a queued award on one try of the worker."""

    DELIVERED = "delivered"
    WAITING = "waiting"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class QueuedResult:
    """A queued award after one try: its outcome, its view, and Quantive's reason when it
    refused the award."""

    outcome: QueuedOutcome
    view: AwardView
    error: str = ""


@dataclass(frozen=True)
class GiveRequest:
    """A give as the chat front end understood it."""

    giver: ChatProfile
    recipients: list[ChatProfile]
    teams: list[Team]
    badge: Badge
    comment: str
    origin_channel: str | None = None


class DecisionOutcome(Enum):
    """What came of a click on Approve or Reject."""

    DONE = "done"
    ALREADY_CLAIMED = "already_claimed"
    HANDLED_ELSEWHERE = "handled_elsewhere"
    #: Quantive gave no answer; the claim is kept and :meth:`AwardService.settle_decision`
    #: (or the worker, later) reads Quantive to finish it.
    UNCERTAIN = "uncertain"
    #: A held award was approved but Quantive cannot take it now: the outbox makes it
    #: once Quantive is back, and tells everyone then.
    QUEUED = "queued"


@dataclass(frozen=True)
class DecisionResult:
    """The outcome, the view to redraw, and the earlier claim when there was one."""

    outcome: DecisionOutcome
    view: AwardView | None
    earlier: DecisionClaim | None = None


#: The id of an award the bot holds for an approver (BADGE_APPROVAL=bot): ``held-<row>``.
HELD_PREFIX = "held-"


def is_held(assignment_id: str) -> bool:
    """Whether the id names an award the bot holds, not one in Quantive."""
    return assignment_id.startswith(HELD_PREFIX)


def _held_row(assignment_id: str) -> int | None:
    """The outbox row (and given_awards' give_id) of a held award's id, else None."""
    number = assignment_id.removeprefix(HELD_PREFIX) if is_held(assignment_id) else ""
    return int(number) if number.isdigit() else None


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """``text`` cut to ``limit`` characters, with a marker when it was cut."""
    return text if len(text) <= limit else text[: limit - len(marker)].rstrip() + marker


class AwardService:
    """Gives awards and records approvals and rejections exactly once."""

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

    async def give(self, request: GiveRequest) -> AwardView:
        """Check the rules, resolve everyone in Quantive, and make the award.

        Raises GiveRefused when a rule is broken or someone is unknown to Quantive (then
        nothing is awarded); AwardQueued when Quantive cannot take it now (it is kept and
        delivered later); api.errors.QuantiveError when Quantive refuses it.
        """
        _check_recipients(request)
        identities, missing = await self._identities.resolve([request.giver, *request.recipients])
        if missing:
            raise GiveRefused(_unresolved_message(missing, request.giver.user_id))
        giver = identities[request.giver.user_id]
        recipients = [
            Party(
                name=identities[p.user_id].name or p.name,
                chat_user_id=p.user_id,
                quantive_id=identities[p.user_id].quantive_user_id,
                email=identities[p.user_id].email,
            )
            for p in request.recipients
        ]
        recipients += [Party(name=t.name, quantive_id=t.id, is_team=True) for t in request.teams]
        comment = truncate(request.comment.strip(), MAX_COMMENT)
        assign = AssignRequest(
            badge_id=request.badge.id,
            assignee_ids=[r.quantive_id for r in recipients if r.quantive_id],
            assigned_by_id=giver.quantive_user_id,
            comment=comment or None,
            notification_strategy=self._notification_strategy,
        )
        view = AwardView(
            assignment_id="",
            badge_id=request.badge.id,
            badge_name=request.badge.name,
            badge_icon=request.badge.icon,
            giver=Party(
                name=giver.name,
                chat_user_id=request.giver.user_id,
                quantive_id=giver.quantive_user_id,
                email=giver.email,
            ),
            recipients=recipients,
            comment=comment,
            origin_channel=request.origin_channel,
            platform=request.giver.platform,
        )
        may_approve = self._permissions.can_approve(
            request.giver.user_id, platform=request.giver.platform, aliases=request.giver.aliases
        )
        wanted = len(recipients)
        await self._check_limit(request, wanted, approver=may_approve)
        if self._approval_mode == "bot" and not may_approve:
            return await self._hold(assign, view, request)
        evidence = await self._evidence_before(assign, approved_at_once=may_approve)
        # Written down before Quantive is called: from here on the award cannot be lost.
        outbox_id = await self._store.enqueue_award(assign.to_wire(), view.model_dump(), evidence)
        await self._record_given(outbox_id, view, "sending")
        await self._check_limit(request, wanted, approver=may_approve, give_id=outbox_id)
        return await self._attempt(outbox_id, 1, assign, view, raise_queued=True)

    async def _check_limit(
        self, request: GiveRequest, wanted: int, *, approver: bool, give_id: int | None = None
    ) -> None:
        """Refuse a give that would take the giver over BADGE_GIVE_LIMIT (nothing is sent
        to Quantive); each recipient counts once.

        Checked twice: before anything is written (to answer at once), and once the give
        is recorded (``give_id``), counting it, so that gives at the same moment cannot
        together pass the limit: the later one sees the earlier one, and a give over the
        limit is refused and given back before Quantive is called.
        """
        limit = self._give_limit
        if limit is None or not limit.applies_to(request.giver, approver=approver):
            return
        now = datetime.now(UTC)
        used = await self.given_this_period(request.giver, now)
        before = used if give_id is None else used - wanted
        if before + wanted <= limit.count:
            return
        if give_id is not None:
            await self._store.finish_award(give_id, "refused", error="over the give limit")
            await self._store.mark_given(give_id, "refused")
        raise GiveRefused(limit.refusal(before, wanted, now))

    async def given_this_period(self, giver: ChatProfile, now: datetime) -> int:
        """How many recipients ``giver`` gave to in the limit's current local period."""
        assert self._give_limit is not None
        since = self._give_limit.period_start(now).timestamp()
        return await self._store.given_count(giver.platform, giver.user_id, since)

    async def gives_left(self, giver: ChatProfile) -> str | None:
        """ "3 of 5 gives left this week (resets …)" for a limited giver, else None."""
        limit = self._give_limit
        approver = self._permissions.can_approve(
            giver.user_id, platform=giver.platform, aliases=giver.aliases
        )
        if limit is None or not limit.applies_to(giver, approver=approver):
            return None
        now = datetime.now(UTC)
        return limit.remaining_words(await self.given_this_period(giver, now), now)

    async def _record_given(self, give_id: int, view: AwardView, status: str) -> None:
        """Keep the give for the limits, leaderboards, recap and export."""
        await self._store.record_given(
            GivenAward(
                give_id=give_id,
                platform=view.platform,
                badge_id=view.badge_id,
                badge_name=view.badge_name,
                giver_chat_id=view.giver.chat_user_id or "",
                status=status,
                given_at=time.time(),
                recipients=[
                    {
                        "name": r.name,
                        "email": r.email or "",
                        "quantive_id": r.quantive_id or "",
                        "is_team": r.is_team,
                    }
                    for r in view.recipients
                ],
                giver_email=view.giver.email or "",
                giver_name=view.giver.name,
                comment=view.comment,
                assignment_id=view.assignment_id or None,
            )
        )

    async def _hold(
        self, assign: AssignRequest, view: AwardView, request: GiveRequest
    ) -> AwardView:
        """Keep the award for an approver; nothing goes to Quantive until one approves."""
        row = await self._store.enqueue_award(assign.to_wire(), view.model_dump(), {}, held=True)
        await self._record_given(row, view, "held")
        await self._check_limit(request, len(view.recipients), approver=False, give_id=row)
        view = view.model_copy(
            update={
                "assignment_id": f"{HELD_PREFIX}{row}",
                "assigned_on": datetime.now(UTC).isoformat(timespec="seconds"),
                "status": "pending",
            }
        )
        await self._store.update_outbox(row, view=view.model_dump())
        await self.save_view(view)
        await self._store.mark_given(row, "held", assignment_id=view.assignment_id)
        log.info("award %s held for an approver", view.assignment_id)
        return view

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
        outbox_id: int,
        attempt: int,
        assign: AssignRequest,
        view: AwardView,
        *,
        raise_queued: bool,
    ) -> AwardView:
        """Assign call number ``attempt`` for an outbox row, recording the outcome."""
        await self._store.mark_award_sent(outbox_id)
        try:
            assignment = await self._quantive.assign_badge(assign)
        except (errors.RateLimited, errors.Unreachable, errors.ServerError) as exc:
            await self._store.retry_award_later(outbox_id, "queued", self._delay(attempt), str(exc))
            if raise_queued:
                raise AwardQueued(view, timed_out=False) from None
            raise
        except errors.OutcomeUnknown as exc:
            await self._store.retry_award_later(
                outbox_id, "uncertain", self._delay(attempt), str(exc)
            )
            if raise_queued:
                raise AwardQueued(view, timed_out=exc.status is None) from None
            raise
        except errors.QuantiveError as exc:
            await self._store.finish_award(outbox_id, "refused", error=str(exc))
            await self._store.mark_given(outbox_id, "refused")
            raise
        return await self._delivered(outbox_id, view, assignment)

    async def _delivered(
        self, outbox_id: int, view: AwardView, assignment: Assignment
    ) -> AwardView:
        held_id = view.assignment_id if is_held(view.assignment_id) else None
        view = view.model_copy(
            update={
                "assignment_id": assignment.id,
                "assigned_on": assignment.assigned_on,
                "status": "approved" if assignment.state == "approved" else "pending",
            }
        )
        await self._store.save_award_view(view.assignment_id, view.model_dump())
        await self._store.finish_award(outbox_id, "delivered", view.model_dump())
        await self._store.mark_given(outbox_id, view.status, assignment_id=view.assignment_id)
        log.info(
            "award %s: %s to %d recipient(s), %s",
            view.assignment_id,
            view.badge_name,
            len(view.recipients),
            view.status,
        )
        if held_id is not None:
            # An approver approved it while held: its messages are filed under the held id.
            claim = await self._store.decision(held_id)
            shown = await self.view(held_id)
            view = view.model_copy(
                update={
                    "assignment_id": held_id,
                    "decided_by": claim.decided_by if claim else None,
                    "decided_by_name": shown.decided_by_name if shown else "",
                }
            )
            await self.save_view(view)
        return view

    def _delay(self, attempt: int) -> float:
        """Seconds before the next try, after try number ``attempt`` failed."""
        return min(self._retry_cap, self._retry_base * 2 ** max(attempt - 1, 0))

    async def deliver_queued(self, award: OutboxAward) -> QueuedResult:
        """Try a queued award once more; the caller has taken the row.

        An award whose earlier call may have reached Quantive is looked for first, and
        sent again only when Quantive has had ``settle_seconds`` to finish the first call
        and still shows nothing. When it cannot show anything (see _evidence_before), the
        award is given up as unknown rather than risk making it twice.
        """
        assign = AssignRequest.model_validate(award.request)
        view = AwardView.model_validate(award.view)
        attempt = award.attempts  # taking the row counted this try
        # A row never sent (an approved held award whose process died before the send)
        # cannot be in Quantive: it goes straight out.
        if award.state in ("uncertain", "sending") and award.sent_at is not None:
            try:
                existing = await self._find_existing(assign, award)
            except errors.QuantiveError as exc:
                await self._store.retry_award_later(
                    award.id, "uncertain", self._delay(attempt), str(exc)
                )
                return QueuedResult(QueuedOutcome.WAITING, view)
            if existing is not None:
                log.info("outbox award %d was already in Quantive as %s", award.id, existing.id)
                delivered = await self._delivered(award.id, view, existing)
                return QueuedResult(QueuedOutcome.DELIVERED, delivered)
            settled_at = award.sent_at + self._settle_seconds
            if time.time() < settled_at:
                # Quantive may still be working on the first call: look again later.
                await self._store.retry_award_later(
                    award.id, "uncertain", max(settled_at - time.time(), 0.05), "not found yet"
                )
                return QueuedResult(QueuedOutcome.WAITING, view)
            if not _absence_is_proof(assign, award.evidence):
                log.warning("outbox award %d: made or not, Quantive cannot show it", award.id)
                await self._store.finish_award(award.id, "unknown", error="no evidence either way")
                await self._store.mark_given(award.id, "unknown")
                return QueuedResult(QueuedOutcome.UNKNOWN, view)
        try:
            return QueuedResult(
                QueuedOutcome.DELIVERED,
                await self._attempt(award.id, attempt, assign, view, raise_queued=False),
            )
        except (errors.RateLimited, errors.Unreachable, errors.ServerError, errors.OutcomeUnknown):
            return QueuedResult(QueuedOutcome.WAITING, view)
        except errors.QuantiveError as exc:
            log.warning("outbox award %d refused by Quantive: %s", award.id, exc)
            return QueuedResult(QueuedOutcome.REFUSED, view, exc.user_message)

    async def _find_existing(self, assign: AssignRequest, award: OutboxAward) -> Assignment | None:
        """This award in Quantive, found by evidence that identifies it, or None.

        Pending: an entry of the approval queue with the same badge, giver, recipients and
        comment, not already matched to another give. Approved: every recipient that did
        not hold the badge before the give holds it now.
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
        before = award.evidence.get("holders_before")
        if before is None:
            return None
        newcomers = wanted - set(before)
        if not newcomers:
            return None
        holders = await self._quantive.badge_holders(assign.badge_id)
        if newcomers <= holders.holder_ids():
            return Assignment(
                id=f"outbox-{award.id}",
                badge_id=assign.badge_id,
                assignee_ids=sorted(wanted),
                status="approved",
            )
        return None

    async def recover_decisions(self, claimed_before: float) -> list[AwardView]:
        """Finish decisions left unconfirmed: the process died between the claim and
        Quantive's answer, or the answer never came. Returns the views to redraw."""
        views = []
        for claim in await self._store.unfinished_decisions(claimed_before):
            try:
                result = await self.settle_decision(claim.assignment_id)
            except errors.QuantiveError as exc:
                log.warning("decision on %s still not confirmed: %s", claim.assignment_id, exc)
                continue
            if result.view is not None and result.outcome is not DecisionOutcome.UNCERTAIN:
                views.append(result.view)
        return views

    async def view(self, assignment_id: str) -> AwardView | None:
        """The saved view of an award, if a message ever showed it."""
        data = await self._store.award_view(assignment_id)
        return AwardView.model_validate(data) if data else None

    async def save_view(self, view: AwardView) -> None:
        """Save a view built elsewhere (for example by the digest)."""
        await self._store.save_award_view(view.assignment_id, view.model_dump())

    async def decide(
        self,
        assignment_id: str,
        decision: Decision,
        decided_by: str,
        reason: str = "",
        *,
        decided_by_name: str = "",
    ) -> DecisionResult:
        """Approve or reject an award exactly once, however often and by whom it is clicked.

        The decision is claimed in the database before Quantive is called, so a double
        click or two approvers at once make one call. It is marked done only when Quantive
        confirms it, or shows that the award left its queue. A refusal while the award
        still waits releases the claim and raises api.errors.QuantiveError, so the approver
        can try again; an unanswered call keeps the claim, and the outcome is UNCERTAIN
        until :meth:`settle_decision` reads Quantive.
        """
        reason = truncate(reason.strip(), 500)
        if not await self._store.claim_decision(assignment_id, decision, decided_by, reason):
            return DecisionResult(
                DecisionOutcome.ALREADY_CLAIMED,
                await self.view(assignment_id),
                await self._store.decision(assignment_id),
            )
        if decided_by_name:
            # Kept with the view, so every platform can name the approver.
            view = await self.view(assignment_id)
            if view is not None:
                await self.save_view(view.model_copy(update={"decided_by_name": decided_by_name}))
        if is_held(assignment_id):
            return await self._decide_held(assignment_id, decision)
        try:
            await self._call_decision(assignment_id, decision)
        except errors.OutcomeUnknown:
            log.warning("decision on %s unanswered; it will be checked", assignment_id)
            return DecisionResult(DecisionOutcome.UNCERTAIN, await self.view(assignment_id))
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
        row_id = _held_row(held_id) or 0
        row = await self._store.outbox_award(row_id)
        state = "rejected" if decision == "reject" else "sending"
        if row is None or not await self._store.release_held(row_id, state):
            await self._store.finish_decision(held_id)
            return DecisionResult(DecisionOutcome.HANDLED_ELSEWHERE, await self.view(held_id))
        if decision == "reject":
            return await self._confirmed(held_id, decision)
        assign = AssignRequest.model_validate(row.request)
        evidence = await self._evidence_before(assign, approved_at_once=True)
        await self._store.update_outbox(row_id, evidence=evidence)
        await self._store.finish_decision(held_id)  # the outbox owns the award from here
        try:
            delivered = await self._attempt(
                row_id, 1, assign, AwardView.model_validate(row.view), raise_queued=False
            )
        except (errors.RateLimited, errors.Unreachable, errors.ServerError, errors.OutcomeUnknown):
            return DecisionResult(DecisionOutcome.QUEUED, await self.view(held_id))
        if delivered.status == "pending":
            made = await self._store.outbox_award(row_id)  # its view carries Quantive's id
            try:
                await self._quantive.approve(str(made.view["assignment_id"]) if made else "")
            except errors.QuantiveError as exc:
                log.warning("held award %s waits in Quantive's queue: %s", held_id, exc)
        return await self._confirmed(held_id, decision)

    async def settle_decision(self, assignment_id: str) -> DecisionResult:
        """Finish a claimed decision whose answer was lost, from what Quantive shows.

        Gone from the queue: it was decided (by this call or someone else), so every effect
        runs now. Still waiting: the call is made again, which cannot double anything, since
        Quantive answers 400 to a second decision.
        """
        claim = await self._store.decision(assignment_id)
        if claim is None or claim.done:
            return DecisionResult(
                DecisionOutcome.ALREADY_CLAIMED, await self.view(assignment_id), claim
            )
        decision: Decision = "approve" if claim.decision == "approve" else "reject"
        if not await self._still_pending(assignment_id):
            approved = await self._was_approved(assignment_id)
            return await self._finish_gone(assignment_id, decision, approved, maybe_ours=True)
        try:
            await self._call_decision(assignment_id, decision)
        except errors.OutcomeUnknown:
            return DecisionResult(DecisionOutcome.UNCERTAIN, await self.view(assignment_id))
        except (errors.BadRequest, errors.NotFound) as exc:
            # The first, unanswered call may have been the one that decided it.
            return await self._after_refusal(assignment_id, decision, exc, maybe_ours=True)
        return await self._confirmed(assignment_id, decision)

    async def _call_decision(self, assignment_id: str, decision: Decision) -> None:
        if decision == "approve":
            await self._quantive.approve(assignment_id)
        else:
            await self._quantive.reject(assignment_id)

    async def _confirmed(self, assignment_id: str, decision: Decision) -> DecisionResult:
        claim = await self._store.decision(assignment_id)
        await self._store.finish_decision(assignment_id)
        status: Literal["approved", "rejected"] = (
            "approved" if decision == "approve" else "rejected"
        )
        decided_by = claim.decided_by if claim else ""
        log.info("award %s %s by %s", assignment_id, status, decided_by)
        view = await self._update_view(
            assignment_id, status, decided_by, claim.reason if claim else ""
        )
        await self._store.decide_given(
            assignment_id,
            status,
            (view.decided_by_name if view else "") or decided_by,
            time.time(),
            give_id=_held_row(assignment_id),
        )
        return DecisionResult(DecisionOutcome.DONE, view)

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
        claim = await self._store.decision(assignment_id)
        await self._store.finish_decision(assignment_id)
        await self._store.decide_given(assignment_id, "handled", "", time.time())
        return DecisionResult(
            DecisionOutcome.HANDLED_ELSEWHERE,
            await self._update_view(
                assignment_id, "handled", claim.decided_by if claim else "", ""
            ),
        )

    async def _still_pending(self, assignment_id: str) -> bool:
        return any(a.id == assignment_id for a in await self._quantive.list_pending_approvals())

    async def _was_approved(self, assignment_id: str) -> bool | None:
        """Whether an award that left the queue was approved: its recipients hold the badge.
        None when the bot never showed the award, so it cannot tell."""
        view = await self.view(assignment_id)
        if view is None or not view.recipients:
            return None
        try:
            holders = await self._quantive.badge_holders(view.badge_id)
        except errors.NotFound:
            return False  # the badge itself is gone
        held = holders.holder_ids()
        return all(r.quantive_id in held for r in view.recipients if r.quantive_id)

    async def _update_view(
        self,
        assignment_id: str,
        status: Literal["approved", "rejected", "handled"],
        decided_by: str,
        reason: str,
    ) -> AwardView | None:
        view = await self.view(assignment_id)
        if view is None:
            return None
        view = view.model_copy(
            update={"status": status, "decided_by": decided_by, "reason": reason}
        )
        await self.save_view(view)
        return view

    async def find_held_award(self, badge_id: str, quantive_user_id: str) -> AwardView | None:
        """The newest approved award of ``badge_id`` to this user that the bot knows of.

        Quantive lists holders without their assignment ids, so only awards given or shown
        through the bot can be found here.
        """
        for data in await self._store.award_views():
            view = AwardView.model_validate(data)
            if (
                view.badge_id == badge_id
                and view.status == "approved"
                and any(r.quantive_id == quantive_user_id for r in view.recipients)
            ):
                return view
        return None

    async def revoke(self, view: AwardView, quantive_user_id: str) -> None:
        """Take the badge of ``view`` back from one recipient."""
        await self._quantive.unassign(quantive_user_id, view.assignment_id)
        remaining = [r for r in view.recipients if r.quantive_id != quantive_user_id]
        await self.save_view(view.model_copy(update={"recipients": remaining}))

    async def pending(self) -> list[Assignment]:
        """Every award waiting for approval, oldest first: Quantive's queue, and the awards
        the bot holds for an approver."""
        items = await self._quantive.list_pending_approvals()
        for row in await self._store.held_awards():
            request = AssignRequest.model_validate(row.request)
            items.append(
                Assignment(
                    id=str(row.view.get("assignment_id") or f"{HELD_PREFIX}{row.id}"),
                    badge_id=request.badge_id,
                    assignee_ids=request.assignee_ids,
                    assigned_by_id=request.assigned_by_id,
                    assigned_on=row.view.get("assigned_on"),
                    comment=request.comment,
                    status="pending",
                )
            )
        return sorted(items, key=lambda a: a.assigned_on or "")


def view_from_assignment(
    assignment: Assignment,
    badge: Badge | None,
    people: dict[str, Person],
    chat_ids: dict[str, str],
) -> AwardView:
    """An award as Quantive lists it, shown with names and chat users where known."""

    def party(quantive_id: str | None) -> Party:
        person = people.get(quantive_id or "")
        if person is None:
            return Party(
                name="someone" if not quantive_id else "a former user", quantive_id=quantive_id
            )
        return Party(
            name=person.name,
            quantive_id=person.id,
            is_team=person.is_team,
            chat_user_id=None if person.is_team else chat_ids.get(person.id),
        )

    state = assignment.state
    return AwardView(
        assignment_id=assignment.id,
        badge_id=assignment.badge_id,
        badge_name=badge.name if badge else "a badge that no longer exists",
        badge_icon=badge.icon if badge else "",
        giver=party(assignment.assigned_by_id),
        recipients=[party(i) for i in assignment.assignee_ids],
        comment=assignment.comment or "",
        assigned_on=assignment.assigned_on,
        status=state,
    )


def _absence_is_proof(assign: AssignRequest, evidence: dict[str, Any]) -> bool:
    """Whether finding nothing in Quantive proves the award was not made.

    It does when the award would have waited in the queue (a giver who is not an approver),
    or when some recipient did not hold the badge before and would hold it now.
    """
    if not evidence.get("approved_at_once", True):
        return True
    before = evidence.get("holders_before")
    return before is not None and bool(set(assign.assignee_ids) - set(before))


def _check_recipients(request: GiveRequest) -> None:
    if not request.recipients and not request.teams:
        raise GiveRefused("Name at least one person or team to give the badge to.")
    for profile in request.recipients:
        if profile.user_id == request.giver.user_id:
            raise GiveRefused("You can't give a badge to yourself. Pick someone you want to thank.")
        if profile.is_bot:
            raise GiveRefused(f"{profile.name} is a bot. Badges go to people and teams.")
        if profile.deleted:
            raise GiveRefused(f"{profile.name} is no longer in this workspace.")


def _unresolved_message(missing: list[Unresolved], giver_id: str) -> str:
    lines = ["Nothing was awarded: I couldn't find everyone in Quantive."]
    for item in missing:
        who = "You" if item.profile.user_id == giver_id else item.profile.name
        lines.append(f"• {who}: {item.reason}.")
    lines.append("Ask a Quantive admin to invite them with the same email they use here.")
    return "\n".join(lines)
