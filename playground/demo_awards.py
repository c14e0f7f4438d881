"""A few weeks of awards for the playground's demo organisation, so that its dashboard's
charts have something to show from the first click: the dashboard's own demo gives
(handlers.dashboard.demo, deterministic), recorded by the demo bot's store, and the same
awards in the emulator's Quantive.

Quantive must know them too: the bot reads its approval queue from Quantive, and an award
the store calls pending that Quantive does not list looks decided in Quantive's web app,
so the bot's sync would settle it and tell its giver; in Quantive's queue, the demo's
pending awards show in the digest and can be approved from it like any other.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from api.emulator import Emulator
from bot.store import Store
from bot.workspaces import DEFAULT_WORKSPACE
from handlers.dashboard.demo import seed_demo_awards

#: How far back the demo's awards go: a quarter's chart shows them all.
WEEKS = 8


async def seed_playground_awards(
    store: Store, emulator: Emulator, *, now: float | None = None
) -> int:
    """Give the demo workspace its weeks of awards, in the store and in ``emulator``, and
    return how many; nothing when it has awards already (a playground given a database
    it ran on before keeps what was done in it)."""
    scoped = store.for_workspace(DEFAULT_WORKSPACE)
    async for _ in scoped.given_between(page=1):
        return 0
    made = await seed_demo_awards(scoped, weeks=WEEKS, now=now)
    # Decided by the account's own user, as the emulator records a decision made with it.
    decider = emulator.state.current_user_id
    rows = [row async for row in scoped.given_between()]
    emulator.state.add_assignments([quantive_assignment(row, decider) for row in rows])
    return made


def quantive_assignment(row: dict[str, Any], decider: str) -> dict[str, Any]:
    """An award record as Quantive lists the award: its id, badge, people and state, and
    ``decider`` as who approved or rejected it."""
    giver = json.loads(row["giver"])
    recipients = [r["quantive_id"] for r in json.loads(row["recipients"]) if r.get("quantive_id")]
    status = str(row["status"])
    given = datetime.fromtimestamp(float(row["given_at"]), UTC)
    return {
        "id": row["assignment_id"],
        "badgeId": row["badge_id"],
        "assigneeIds": recipients,
        "assignedById": giver.get("quantive_id") or "",
        "assignedOn": given.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "comment": row["comment"] or "",
        "richTextComment": "",
        "notificationStrategy": "",
        "notify": [],
        "status": status,
        "approvedBy": "" if status == "pending" else decider,
    }
