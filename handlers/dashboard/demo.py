"""A few weeks of demo awards for the playground's dashboard (and its screenshot): gives
through the bot among the emulator's demo organisation, as the bot records them, each
delivered already so no outbox works on them. Deterministic: the same charts every run."""

from __future__ import annotations

import random
import time
from typing import Any

from api.emulator.state import load_demo_data
from bot.awards.record import Award, Party, award_row
from bot.store import Store

COMMENTS = (
    "Thanks for pairing on the release all afternoon.",
    "The new onboarding guide saved me a day.",
    "Calm and clear during the incident: thank you.",
    "Great review comments, I learnt a lot.",
    "You unblocked three teams this week.",
    "",
)
#: What becomes of the demo's awards, older ones mostly decided.
OUTCOMES = ("approved",) * 6 + ("rejected",)


async def seed_demo_awards(
    store: Store, *, weeks: int = 8, now: float | None = None, seed: int = 23
) -> int:
    """Give some 3 to 9 awards a week over the last ``weeks`` weeks in ``store`` (a
    workspace's scoped store), the last few days' still pending; returns how many."""
    data = load_demo_data()
    people = [_person(u) for u in data["users"]]
    teams = {t["id"]: t for t in data["teams"]}
    badges = [(b["id"], b["name"], b.get("icon", "")) for b in data["badges"]]
    rng = random.Random(seed)
    end = now if now is not None else time.time()
    made = 0
    for week in range(weeks):
        for _ in range(rng.randint(3, 9)):
            given_at = end - (week * 7 + rng.random() * 7) * 86400
            giver, recipient = rng.sample(people, 2)
            recipients = [recipient]
            if rng.random() < 0.15:  # now and then a whole team is recognised
                team = rng.choice(list(teams.values()))
                recipients = [Party(name=team["name"], quantive_id=team["id"], is_team=True)]
            recent = end - given_at < 3 * 86400
            status = "pending" if recent or rng.random() < 0.1 else rng.choice(OUTCOMES)
            badge = rng.choice(badges)
            award = Award(
                assignment_id=f"demo-{seed}-{made}",
                badge_id=badge[0],
                badge_name=badge[1],
                badge_icon=badge[2],
                giver=giver,
                recipients=recipients,
                comment=rng.choice(COMMENTS),
                status=status,  # type: ignore[arg-type]
                platform="slack",
                given_at=given_at,
                decided_at=None if status == "pending" else given_at + rng.randint(600, 172800),
            )
            give_id, _ = await store.accept_award({"demo": made}, award_row(award), {})
            await store.finish_award(give_id, "delivered", award.assignment_id)
            made += 1
    return made


def _person(user: dict[str, Any]) -> Party:
    """A demo user as the playground's Slack knows them (UMARIA, ULIAM, ...)."""
    return Party(
        name=user["name"],
        chat_user_id=f"U{user['firstName'].upper()}",
        platform="slack",
        quantive_id=user["id"],
        email=user["email"],
    )
