"""Giving: the rules a give must pass (recipients, the give limit), who everyone is in
Quantive, and the record written before Quantive is called."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from api.models import AssignRequest, Badge, Team
from bot.awards.delivery import Delivery
from bot.awards.record import HELD_PREFIX, Award, Party, award_row
from bot.identity import ChatProfile, Unresolved

log = logging.getLogger(__name__)

#: Quantive's comment limit is undocumented; this keeps messages and requests reasonable.
MAX_COMMENT = 1000


class GiveRefused(Exception):
    """The award was not made; the message says why and what to do."""


@dataclass(frozen=True)
class GiveRequest:
    """A give as the chat front end understood it."""

    giver: ChatProfile
    recipients: list[ChatProfile]
    teams: list[Team]
    badge: Badge
    comment: str
    origin_channel: str | None = None


#: Control characters other than newline and tab: PostgreSQL refuses NUL in text, and none
#: of them means anything in a comment.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Text from a person without control characters (newline and tab stay)."""
    return _CONTROL.sub("", text)


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """``text`` cut to ``limit`` characters, with a marker when it was cut."""
    return text if len(text) <= limit else text[: limit - len(marker)].rstrip() + marker


class Giving(Delivery):
    """Making awards (mixed into AwardService); each give goes out through Delivery."""

    async def give(self, request: GiveRequest) -> Award:
        """Check the rules, resolve everyone in Quantive, and make the award.

        Raises GiveRefused when a rule is broken or someone is unknown to Quantive (then
        nothing is awarded); AwardQueued when Quantive cannot take it now (it is kept and
        delivered later); api.errors.QuantiveError when Quantive refuses it.
        """
        _check_recipients(request)
        identities, missing = await self._identities.resolve([request.giver, *request.recipients])
        if missing:
            raise GiveRefused(_unresolved_message(missing, request.giver.user_id))
        platform = request.giver.platform
        giver = identities[request.giver.user_id]
        recipients = [
            Party(
                name=identities[p.user_id].name or p.name,
                chat_user_id=p.user_id,
                platform=platform,
                quantive_id=identities[p.user_id].quantive_user_id,
                email=identities[p.user_id].email,
            )
            for p in request.recipients
        ]
        recipients += [Party(name=t.name, quantive_id=t.id, is_team=True) for t in request.teams]
        comment = truncate(clean_text(request.comment).strip(), MAX_COMMENT)
        assign = AssignRequest(
            badge_id=request.badge.id,
            assignee_ids=[r.quantive_id for r in recipients if r.quantive_id],
            assigned_by_id=giver.quantive_user_id,
            comment=comment or None,
            notification_strategy=self._notification_strategy,
        )
        may_approve = self._permissions.can_approve(
            request.giver.user_id, platform=platform, aliases=request.giver.aliases
        )
        held = self._approval_mode == "bot" and not may_approve
        award = Award(
            badge_id=request.badge.id,
            badge_name=request.badge.name,
            badge_icon=request.badge.icon,
            giver=Party(
                name=giver.name,
                chat_user_id=request.giver.user_id,
                platform=platform,
                quantive_id=giver.quantive_user_id,
                email=giver.email,
            ),
            recipients=recipients,
            comment=comment,
            status="held" if held else "sending",
            platform=platform,
            origin_channel=request.origin_channel,
            given_at=time.time(),
            assigned_on=datetime.now(UTC).isoformat(timespec="seconds") if held else None,
        )
        wanted = len(recipients)
        await self._check_limit(request, wanted, approver=may_approve)
        evidence = {} if held else await self._evidence_before(assign, approved_at_once=may_approve)
        # Written down before Quantive is called: from here on the award cannot be lost.
        give_id, record_id = await self._store.accept_award(
            assign.to_wire(),
            award_row(award),
            evidence,
            held_key=f"{HELD_PREFIX}{{}}" if held else None,
        )
        update: dict[str, object] = {"give_id": give_id, "id": record_id}
        if held:
            update["assignment_id"] = f"{HELD_PREFIX}{give_id}"
        award = award.model_copy(update=update)
        await self._check_limit(request, wanted, approver=may_approve, award=award)
        if held:
            # Nothing goes to Quantive until an approver approves.
            log.info("award %s held for an approver", award.assignment_id)
            return award
        return await self._attempt(give_id, 1, assign, award, raise_queued=True)

    async def _check_limit(
        self, request: GiveRequest, wanted: int, *, approver: bool, award: Award | None = None
    ) -> None:
        """Refuse a give that would take the giver over BADGE_GIVE_LIMIT (nothing is sent
        to Quantive); each recipient counts once.

        Checked twice: before anything is written (to answer at once), and once the give
        is recorded (``award``), counting it, so that gives at the same moment cannot
        together pass the limit: the later one sees the earlier one, and a give over the
        limit is refused and given back before Quantive is called.
        """
        limit = self._give_limit
        if limit is None or not limit.applies_to(request.giver, approver=approver):
            return
        now = datetime.now(UTC)
        # Once recorded, a give counts only the gives recorded before it and itself: gives
        # at the same moment then pass or fail in their order, and the first always can.
        up_to = award.id if award is not None else None
        used = await self.given_this_period(request.giver, now, up_to=up_to)
        before = used if award is None else used - wanted
        if before + wanted <= limit.count:
            return
        if award is not None and award.give_id is not None:
            await self._store.finish_award(award.give_id, "refused", error="over the give limit")
            await self._save(award.model_copy(update={"status": "refused"}))
        raise GiveRefused(limit.refusal(before, wanted, now))

    async def given_this_period(
        self, giver: ChatProfile, now: datetime, *, up_to: int | None = None
    ) -> int:
        """How many recipients ``giver`` gave to in the limit's current local period (in
        the gives recorded up to record ``up_to``, when given)."""
        assert self._give_limit is not None
        since = self._give_limit.period_start(now).timestamp()
        return await self._store.given_count(giver.platform, giver.user_id, since, up_to=up_to)

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
