"""The award record: one record of an award from the moment the bot accepts it (or first
shows it, for an award given in Quantive), kept in the ``awards`` table.

The record holds what Quantive and the people did, never how a platform shows it: every
message about an award is drawn from the record, and each platform keeps only its own
message references (``slack_messages``, ``teams_messages``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.paths import is_plausible_id
from bot.chat import Platform

#: What became of an award. ``sending``: accepted, Quantive has not confirmed it yet;
#: ``pending``: in Quantive's approval queue; ``held``: kept by the bot for an approver
#: (BADGE_APPROVAL=bot); ``approved`` / ``rejected``: decided; ``handled``: it left
#: Quantive's queue by a decision made elsewhere, outcome unknown; ``refused``: Quantive
#: refused it; ``unknown``: made or not, Quantive cannot show it.
Status = Literal[
    "sending", "pending", "held", "approved", "rejected", "handled", "refused", "unknown"
]

#: Where a decision was made: on a chat platform, or in Quantive's own web app.
DecidedIn = Literal["slack", "teams", "quantive"]

#: The key of an award the bot holds for an approver (BADGE_APPROVAL=bot): ``held-<give>``.
HELD_PREFIX = "held-"


class Party(BaseModel):
    """A person or team in an award: the chat identity where they were reached (if any),
    their email and their Quantive id."""

    name: str
    chat_user_id: str | None = None
    #: The platform ``chat_user_id`` belongs to.
    platform: Platform | None = None
    quantive_id: str | None = None
    is_team: bool = False
    email: str | None = None


class Decider(BaseModel):
    """Who decided an award, whatever platform they used: shown by name everywhere."""

    name: str = ""
    email: str = ""
    chat_user_id: str = ""
    #: Where they decided; ``quantive`` when it was decided in Quantive's web app.
    via: DecidedIn = "slack"


class Award(BaseModel):
    """One award, as the bot knows it."""

    #: The record's row (None until it is stored).
    id: int | None = None
    #: The award's key in buttons, messages and decision claims: Quantive's assignment id,
    #: or ``held-<give>`` while (and after) the bot held it for an approver; "" until
    #: Quantive has answered.
    assignment_id: str = ""
    #: Quantive's own id when it differs from the key (a held award, once made).
    quantive_assignment_id: str | None = None
    #: The give's row in the award outbox, for awards given through the bot.
    give_id: int | None = None
    badge_id: str
    badge_name: str
    badge_icon: str = ""
    giver: Party
    recipients: list[Party] = Field(default_factory=list)
    comment: str = ""
    status: Status = "pending"
    #: The platform it was given on (None: given in Quantive, first seen in a digest).
    platform: Platform | None = None
    #: Where it was given, for the celebration when no announce channel is set.
    origin_channel: str | None = None
    given_at: float | None = None
    assigned_on: str | None = None
    decided_by: Decider | None = None
    decided_at: float | None = None
    reason: str = ""

    @property
    def waiting(self) -> bool:
        """Whether the award waits for an approver (in Quantive's queue or held)."""
        return self.status in ("pending", "held")

    @property
    def decider_name(self) -> str:
        """The approver's name, or "" when nobody known decided it."""
        return self.decided_by.name if self.decided_by else ""

    @property
    def made_in_quantive(self) -> str | None:
        """The assignment's id in Quantive, when it has one."""
        if self.quantive_assignment_id:
            return self.quantive_assignment_id
        return None if is_held(self.assignment_id) or not self.assignment_id else self.assignment_id


def is_held(assignment_id: str) -> bool:
    """Whether the key names an award the bot holds, not one in Quantive."""
    return assignment_id.startswith(HELD_PREFIX)


#: A give's number as the bot writes it: ASCII digits, no leading zero (``str.isdigit``
#: would take ``²``, which ``int`` refuses).
_GIVE_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
#: The largest row id the store holds (a 64-bit integer): a larger one overflows it.
MAX_ROW_ID = 2**63 - 1


def held_give(assignment_id: str) -> int | None:
    """The give (outbox row) of a held award's key, else None: also for a key the bot
    could not have made (a forged ``held-99999999999999999999`` is no row of the store)."""
    number = assignment_id.removeprefix(HELD_PREFIX) if is_held(assignment_id) else ""
    if _GIVE_NUMBER.fullmatch(number) is None:
        return None
    give = int(number)
    return give if give <= MAX_ROW_ID else None


def award_row(award: Award) -> dict[str, Any]:
    """The ``awards`` row of a record."""
    decider = award.decided_by or Decider()
    return {
        "assignment_id": award.assignment_id or None,
        "quantive_assignment_id": award.quantive_assignment_id,
        "give_id": award.give_id,
        "platform": award.platform,
        "badge_id": award.badge_id,
        "badge_name": award.badge_name,
        "badge_icon": award.badge_icon,
        "giver": award.giver.model_dump_json(),
        "giver_chat_id": award.giver.chat_user_id or "",
        "recipients": json.dumps([r.model_dump() for r in award.recipients]),
        "recipient_count": len(award.recipients),
        "comment": award.comment,
        "status": award.status,
        "origin_channel": award.origin_channel,
        "given_at": award.given_at,
        "assigned_on": award.assigned_on,
        "decided_at": award.decided_at,
        "decided_by": decider.model_dump_json() if award.decided_by else None,
        "decided_by_email": decider.email,
        "reason": award.reason,
    }


def award_from_row(row: Any) -> Award:
    """The record of an ``awards`` row."""
    values = dict(row)
    decided_by = values.get("decided_by")
    return Award(
        id=values["id"],
        assignment_id=values["assignment_id"] or "",
        quantive_assignment_id=values.get("quantive_assignment_id"),
        give_id=values.get("give_id"),
        platform=values.get("platform"),
        badge_id=values["badge_id"],
        badge_name=values["badge_name"],
        badge_icon=values.get("badge_icon") or "",
        giver=Party.model_validate_json(values["giver"]),
        recipients=[Party.model_validate(r) for r in json.loads(values["recipients"])],
        comment=values.get("comment") or "",
        status=values["status"],
        origin_channel=values.get("origin_channel"),
        given_at=values.get("given_at"),
        assigned_on=values.get("assigned_on"),
        decided_at=values.get("decided_at"),
        decided_by=Decider.model_validate_json(decided_by) if decided_by else None,
        reason=values.get("reason") or "",
    )


def award_key(value: object) -> str | None:
    """The award key a button carries, if the bot could have made it: a Quantive id, or
    ``held-<give>`` with a give number that fits the store. Checked before any lookup, so
    a forged key never reaches the store or a Quantive URL."""
    if not is_plausible_id(value):
        return None
    assert isinstance(value, str)
    if is_held(value) and held_give(value) is None:
        return None
    return value
