"""Benchmark: the digest for many pending awards across 20 channels, against the emulator.

Runs the real DigestJob over loopback HTTP (emulator + fake Slack) in one process, for
100 and for 10,000 pending awards on SQLite, then 10,000 on PostgreSQL (a throwaway
server, as the tests start), and prints wall time, peak traced memory, peak RSS and the
calls made, plus the ratios between the runs.

    .venv/bin/python -m bench.digest_at_scale
"""

from __future__ import annotations

import asyncio
import resource
import time
import tracemalloc
from collections import Counter

from api.emulator import DEFAULT_TOKEN, Emulator
from api.emulator.state import load_demo_data
from bench.processes import fresh_databases
from bot.background_server import BackgroundServer
from bot.settings import Settings
from handlers.slack.app import slack_runtime
from tests.fake_slack import FakeSlack, SlackUser

CHANNELS = [f"CBENCH{i:02d}" for i in range(20)]
PEOPLE = 500


def seeded(pending: int) -> tuple[dict, list[SlackUser]]:
    """Demo data with 500 people and ``pending`` awards waiting, and their Slack users."""
    data = load_demo_data()
    users = [
        {
            "id": f"{i:024x}",
            "email": f"person{i}@bench.example",
            "firstName": "P",
            "lastName": str(i),
            "name": f"Person {i}",
            "permissions": ["AwardBadges"],
        }
        for i in range(1, PEOPLE + 1)
    ]
    data["users"] += users
    badge = data["badges"][0]["id"]
    data["assignments"] = [
        {
            "id": f"a{i:023x}",
            "badgeId": badge,
            "assigneeIds": [users[i % PEOPLE]["id"]],
            "assignedById": users[(i * 7 + 1) % PEOPLE]["id"],
            "comment": f"thanks #{i}",
            "assignedOn": f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}T09:00:00Z",
            "status": "pending",
        }
        for i in range(pending)
    ]
    slack_users = [
        SlackUser(f"UP{i}", f"person{i}", f"person{i}@bench.example") for i in range(1, PEOPLE + 1)
    ]
    return data, slack_users


async def one_run(pending: int, database_url: str, *, trace_memory: bool) -> dict[str, float]:
    """One digest run over loopback on an empty, migrated database; its time, memory and
    call counts."""
    data, slack_users = seeded(pending)
    emulator = Emulator(seed=data)
    slack = FakeSlack()
    slack.users.update({u.id: u for u in slack_users})
    with (
        BackgroundServer(emulator.app) as emu_server,
        BackgroundServer(slack.app) as slack_server,
    ):
        slack.url = slack_server.url
        settings = Settings(
            slack_bot_token="xoxb-bench",
            slack_api_url=f"{slack.url}/api/",
            quantive_api_url=f"{emu_server.url}/api/v1",
            quantive_api_token=DEFAULT_TOKEN,
            quantive_account_id=emulator.account_id,
            database_url=database_url,
            digest_channels=CHANNELS,
        )
        if trace_memory:  # tracemalloc slows Python down, so timed runs go without it
            tracemalloc.start()
        started = time.perf_counter()
        async with slack_runtime(settings) as ctx:
            report = await ctx.digest.run()
        wall = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory() if trace_memory else (0, 0)
        tracemalloc.stop()
    assert len(report.posted) == len(CHANNELS), report
    quantive = Counter(c.route for c in emulator.calls.all())
    slack_calls = Counter(c.method for c in slack.calls)
    return {
        "pending": pending,
        "wall_s": wall,
        "peak_traced_mib": peak / 2**20,
        "quantive_calls": sum(quantive.values()),
        "slack_calls": sum(slack_calls.values()),
        "detail": f"quantive={dict(quantive)} slack={dict(slack_calls)}",
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    with fresh_databases() as databases:
        sqlite, postgresql = databases["sqlite"], databases["postgresql"]

        cases = [
            ("sqlite", 100, sqlite),
            ("sqlite", 10_000, sqlite),
            ("postgresql", 10_000, postgresql),
        ]
        rows = []
        for backend, pending, database in cases:
            row = asyncio.run(one_run(pending, database(), trace_memory=False))
            traced = asyncio.run(one_run(pending, database(), trace_memory=True))
            row["peak_traced_mib"] = traced["peak_traced_mib"]
            row["backend"] = backend
            rows.append(row)
    for row in rows:
        print(
            f"{row['backend']:>10} {row['pending']:>6} pending, {len(CHANNELS)} channels: "
            f"{row['wall_s']:.2f} s, peak Python memory {row['peak_traced_mib']:.1f} MiB, "
            f"{row['quantive_calls']} Quantive calls, {row['slack_calls']} Slack calls"
        )
        print(f"        {row['detail']}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole benchmark process: {rss:.0f} MiB")
    small, large, large_pg = rows
    print(
        f"ratio 10,000 / 100 on SQLite: time x{large['wall_s'] / small['wall_s']:.2f}, "
        f"Quantive calls x{large['quantive_calls'] / small['quantive_calls']:.2f}, "
        f"Slack calls x{large['slack_calls'] / small['slack_calls']:.2f}"
    )
    print(
        f"ratio PostgreSQL / SQLite at 10,000: time x{large_pg['wall_s'] / large['wall_s']:.2f}, "
        f"memory x{large_pg['peak_traced_mib'] / large['peak_traced_mib']:.2f}"
    )


if __name__ == "__main__":
    main()
