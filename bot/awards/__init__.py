"""The rules for giving and deciding awards, independent of the chat platform.

- ``record``: the award record (:class:`Award`) and its states;
- ``giving``: the rules of a give, the limits, and the record written before Quantive;
- ``delivery``: the assign call, the evidence that recognises an award, the outbox retries;
- ``decisions``: claims, who may decide, settling lost answers, recovery;
- ``queries``: the approval queue, awards first seen in Quantive, revoking;
- ``service``: :class:`AwardService`, the four together.
"""

from __future__ import annotations

from api.paths import is_plausible_id
from bot.awards.decisions import Decision, DecisionOutcome, DecisionResult
from bot.awards.delivery import AwardQueued, QueuedOutcome, QueuedResult
from bot.awards.giving import MAX_COMMENT, GiveRefused, GiveRequest, truncate
from bot.awards.queries import NoQuantiveId, award_from_assignment, awards_given
from bot.awards.record import HELD_PREFIX, Award, Decider, Party, Status, award_key, is_held
from bot.awards.service import AwardService

__all__ = [
    "HELD_PREFIX",
    "MAX_COMMENT",
    "Award",
    "AwardQueued",
    "AwardService",
    "Decider",
    "Decision",
    "DecisionOutcome",
    "DecisionResult",
    "GiveRefused",
    "GiveRequest",
    "NoQuantiveId",
    "Party",
    "QueuedOutcome",
    "QueuedResult",
    "Status",
    "award_from_assignment",
    "award_key",
    "awards_given",
    "is_held",
    "is_plausible_id",
    "truncate",
]
