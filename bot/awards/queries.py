"""Queries: the approval queue (Quantive's and the bot's own), awards first seen in
Quantive, and the lookups behind revoking."""

from __future__ import annotations

from collections.abc import AsyncIterator

from api import errors
from api.models import Assignment, Badge
from bot.awards.core import AwardCore
from bot.awards.record import Award, Party, award_from_row, award_row
from bot.chat import Platform
from bot.people import Person
from bot.store import Store


class NoQuantiveId(errors.QuantiveError):
    """The bot does not know the award's id in Quantive (it was recognised by its holders
    only), so it cannot be taken back from chat."""

    user_message = (
        "I don't know this award's id in Quantive, so I can't take it back from here. "
        "Revoke it in Quantive's web app (the person's profile, Badges)."
    )


class Queries(AwardCore):
    """Reading awards (mixed into AwardService)."""

    async def remember_seen(self, award: Award) -> Award:
        """Keep the record of an award first seen in Quantive (a digest or a list shows
        it); the record the bot already has wins. Returns the stored record."""
        if not award.assignment_id:
            return award  # nothing to key it by; shown, not kept
        await self._store.add_seen_award(award_row(award))
        return await self.award(award.assignment_id) or award

    async def find_held_award(self, badge_id: str, quantive_user_id: str) -> Award | None:
        """The newest approved award of ``badge_id`` to this user that the bot knows of.

        Quantive lists holders without their assignment ids, so only awards given or shown
        through the bot can be found here.
        """
        for row in await self._store.award_rows("approved"):
            award = award_from_row(row)
            if award.badge_id == badge_id and any(
                r.quantive_id == quantive_user_id for r in award.recipients
            ):
                return award
        return None

    async def revoke(self, award: Award, quantive_user_id: str) -> None:
        """Take the badge of ``award`` back from one recipient. Raises NoQuantiveId when
        the bot never learnt the award's id in Quantive."""
        made_as = award.made_in_quantive
        if made_as is None:
            raise NoQuantiveId()
        await self._quantive.unassign(quantive_user_id, made_as)
        remaining = [r for r in award.recipients if r.quantive_id != quantive_user_id]
        if award.id is not None:
            await self._save(award.model_copy(update={"recipients": remaining}))

    async def pending(self) -> list[Assignment]:
        """Every award waiting for approval, oldest first: Quantive's queue, and the awards
        the bot holds for an approver."""
        items = await self._quantive.list_pending_approvals()
        for row in await self._store.award_rows("held"):
            held = award_from_row(row)
            if not held.assignment_id:
                continue  # a record from before keys were written with the give
            items.append(
                Assignment(
                    id=held.assignment_id,
                    badge_id=held.badge_id,
                    assignee_ids=[r.quantive_id for r in held.recipients if r.quantive_id],
                    assigned_by_id=held.giver.quantive_id,
                    assigned_on=held.assigned_on,
                    comment=held.comment or None,
                    status="pending",
                )
            )
        return sorted(items, key=lambda a: a.assigned_on or "")


def award_from_assignment(
    assignment: Assignment,
    badge: Badge | None,
    people: dict[str, Person],
    chat_ids: dict[str, str],
    platform: Platform,
) -> Award:
    """An award as Quantive lists it, with names, and chat users of ``platform`` where
    known: the record of an award first seen in Quantive."""

    def party(quantive_id: str | None) -> Party:
        person = people.get(quantive_id or "")
        if person is None:
            return Party(
                name="someone" if not quantive_id else "a former user", quantive_id=quantive_id
            )
        chat_id = None if person.is_team else chat_ids.get(person.id)
        return Party(
            name=person.name,
            quantive_id=person.id,
            is_team=person.is_team,
            email=person.email or None,
            chat_user_id=chat_id,
            platform=platform if chat_id else None,
        )

    return Award(
        assignment_id=assignment.id,
        badge_id=assignment.badge_id,
        badge_name=badge.name if badge else "a badge that no longer exists",
        badge_icon=badge.icon if badge else "",
        giver=party(assignment.assigned_by_id),
        recipients=[party(i) for i in assignment.assignee_ids],
        comment=assignment.comment or "",
        assigned_on=assignment.assigned_on,
        status=assignment.state,
    )


async def awards_given(
    store: Store, since: float | None = None, until: float | None = None
) -> AsyncIterator[Award]:
    """The records of the gives through the bot in ``[since, until)``, oldest first, read
    a page at a time."""
    async for row in store.given_between(since, until):
        yield award_from_row(row)
