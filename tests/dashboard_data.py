"""Award rows for the dashboard's tests, written through the store as the bot writes them,
so the tests assert on what the dashboard's SQL figures must make of them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.awards.record import Award, Party, award_row
from bot.store import Store

PENDING = ("pending", "held", "sending")
REJECTED = ("rejected", "refused")


async def add_award(
    store: Store,
    key: str,
    *,
    badge: tuple[str, str],
    giver: tuple[str, str],
    recipient: tuple[str, str],
    given_at: datetime,
    status: str = "approved",
    comment: str = "",
    decided_after: float | None = None,
) -> None:
    """One give through the bot to one person, delivered (its outbox row is done, so no
    worker touches it), in ``status``."""
    gave = Party(name=giver[1], chat_user_id=giver[0], platform="slack", email=f"{giver[0]}@x")
    # The bot gives only to people it found in Quantive: a recipient has a Quantive id.
    got = Party(
        name=recipient[1],
        chat_user_id=recipient[0],
        platform="slack",
        quantive_id=f"q{recipient[0].lower()}",
    )
    stamp = given_at.timestamp()
    award = Award(
        assignment_id=key,
        badge_id=badge[0],
        badge_name=badge[1],
        giver=gave,
        recipients=[got],
        comment=comment,
        status=status,  # type: ignore[arg-type]
        platform="slack",
        given_at=stamp,
        decided_at=stamp + decided_after if decided_after is not None else None,
    )
    give_id, _ = await store.accept_award({"n": key}, award_row(award), {})
    await store.finish_award(give_id, "delivered", key)


def midweek(weeks_ago: int, now: float | None = None) -> datetime:
    """Noon on the Wednesday of the week ``weeks_ago`` weeks before this one, UTC."""
    today = datetime.fromtimestamp(now or time.time(), UTC).date()
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks_ago)
    return datetime.combine(start + timedelta(days=2), datetime.min.time(), UTC) + timedelta(
        hours=12
    )
