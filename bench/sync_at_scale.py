"""Benchmark: the sync with Quantive's web app (bot.sync) with 100 and with 10,000 awards
waiting, against the emulator over loopback HTTP.

For each size, the bot's database holds one pending record per award in the emulator's
queue. It times a round that finds nothing decided (the steady state, every interval), then
decides ten awards in the emulator (five approved, five rejected) and times the two rounds
that settle them (an award must be missing from two reads in a row). It prints the
Quantive calls of each round, what reading the queue once per award instead would cost,
and the ratios between the sizes. SQLite for both sizes, then 10,000 on PostgreSQL.

    .venv/bin/python -m bench.sync_at_scale
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from sqlalchemy import insert

from api.emulator import DEFAULT_TOKEN, Emulator
from api.emulator.state import load_demo_data
from bench.processes import fresh_databases
from bot.awards.record import Award, Party, award_row
from bot.background_server import BackgroundServer
from bot.services import Services
from bot.settings import Settings
from bot.store.tables import awards
from bot.sync import QuantiveSync

PEOPLE = 500
DECIDED = 10
PAGE = 100


def seeded(pending: int) -> dict[str, Any]:
    """Demo data with 500 more people and ``pending`` awards of one badge waiting."""
    data = load_demo_data()
    data["users"] += [
        {"id": f"{i:024x}", "email": f"p{i}@bench.example", "firstName": "P", "lastName": str(i)}
        for i in range(1, PEOPLE + 1)
    ]
    badge = data["badges"][0]["id"]
    data["assignments"] = [
        {
            "id": f"a{i:023x}",
            "badgeId": badge,
            "assigneeIds": [f"{1 + i % PEOPLE:024x}"],
            "assignedById": f"{1 + (i * 7) % PEOPLE:024x}",
            "assignedOn": f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}T09:00:00Z",
            "status": "pending",
        }
        for i in range(pending)
    ]
    return data


async def store_records(services: Services, data: dict[str, Any]) -> None:
    """One pending record per waiting award, as a digest would have kept them, in one
    transaction (10,000 single inserts would time the set-up, not the sync)."""
    rows = []
    for a in data["assignments"]:
        award = Award(
            assignment_id=a["id"],
            badge_id=a["badgeId"],
            badge_name="Team Player",
            giver=Party(name="Giver", quantive_id=a["assignedById"]),
            recipients=[Party(name="Recipient", quantive_id=a["assigneeIds"][0])],
            status="pending",
        )
        rows.append({**award_row(award), "updated_at": time.time()})
    async with services.store.transaction() as conn:
        for start in range(0, len(rows), 1000):
            await conn.execute(insert(awards), rows[start : start + 1000])


async def one_size(pending: int, database_url: str) -> dict[str, Any]:
    """The rounds' times and calls for ``pending`` waiting awards."""
    data = seeded(pending)
    emulator = Emulator(seed=data)
    with BackgroundServer(emulator.app) as server:
        settings = Settings(
            quantive_api_url=f"{server.url}/api/v1",
            quantive_api_token=DEFAULT_TOKEN,
            quantive_account_id=emulator.account_id,
            database_url=database_url,
            quantive_sync_seconds=60,
        )
        services = Services.create(settings)
        try:
            await store_records(services, data)
            sync = QuantiveSync(services)

            async def timed_round() -> tuple[float, Counter[str], int]:
                emulator.calls.clear()
                started = time.perf_counter()
                settled = await sync.sync_once()
                return (
                    time.perf_counter() - started,
                    Counter(c.route for c in emulator.calls.all()),
                    len(settled),
                )

            await timed_round()  # warm: connections, the first queries
            steady, steady_calls, _ = await timed_round()
            # The round's two reads alone: the bot's records, and Quantive's queue (the
            # emulator, in this process, pages by sorting the whole queue each time).
            started = time.perf_counter()
            await services.store.waiting_keys(0.0)
            records_s = time.perf_counter() - started
            started = time.perf_counter()
            await services.quantive.list_pending_approvals()
            queue_s = time.perf_counter() - started
            for n, a in enumerate(data["assignments"][:DECIDED]):
                emulator.state.decide(a["id"], approve=n % 2 == 0)
            first, first_calls, first_settled = await timed_round()
            second, second_calls, second_settled = await timed_round()
        finally:
            await services.aclose()
    assert (first_settled, second_settled) == (0, DECIDED), (first_settled, second_settled)
    return {
        "pending": pending,
        "steady_s": steady,
        "steady_calls": sum(steady_calls.values()),
        "records_s": records_s,
        "queue_s": queue_s,
        "settle_s": second,
        "settle_calls": dict(second_calls),
        "first_s": first,
        "first_calls": sum(first_calls.values()),
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    with fresh_databases() as databases:
        sqlite, postgresql = databases["sqlite"], databases["postgresql"]

        cases = [("sqlite", 100, sqlite), ("sqlite", 10_000, sqlite)]
        cases.append(("postgresql", 10_000, postgresql))
        rows = []
        for backend, pending, database in cases:
            row = asyncio.run(one_size(pending, database()))
            row["backend"] = backend
            rows.append(row)
    for row in rows:
        pages = -(-row["pending"] // PAGE)
        print(
            f"{row['backend']:>10} {row['pending']:>6} waiting: nothing decided "
            f"{row['steady_s'] * 1000:.0f} ms, {row['steady_calls']} Quantive calls "
            f"(the queue's {pages} page(s)); {DECIDED} decided in Quantive: first read "
            f"{row['first_s'] * 1000:.0f} ms ({row['first_calls']} calls), settling read "
            f"{row['settle_s'] * 1000:.0f} ms {row['settle_calls']}"
        )
        print(
            f"{'':>10} of a round: the records read {row['records_s'] * 1000:.0f} ms, the "
            f"queue read {row['queue_s'] * 1000:.0f} ms; reading the queue once per award "
            f"instead: {row['pending'] * pages:,} calls per interval"
        )
    small, large, large_pg = rows
    print(
        f"ratio 10,000 / 100 waiting on SQLite: steady round time "
        f"x{large['steady_s'] / small['steady_s']:.1f}, Quantive calls "
        f"x{large['steady_calls'] / small['steady_calls']:.0f} (awards x100); "
        f"settling round time x{large['settle_s'] / small['settle_s']:.1f}"
    )
    print(
        f"ratio PostgreSQL / SQLite at 10,000: steady "
        f"x{large_pg['steady_s'] / large['steady_s']:.2f}, "
        f"settling x{large_pg['settle_s'] / large['settle_s']:.2f}"
    )


if __name__ == "__main__":
    main()
