"""Benchmark: give throughput and ack latency on SQLite and PostgreSQL, with one and with
two `serve` processes, in one run.

Each case starts the bot as real `python -m bot serve` processes on a fresh, migrated
database, with the emulator in a process of its own and Quantive answering at once, so
the bot's own work (and its database) is what is measured. 20 senders send 400 signed
`/badge give` commands as fast as they are acknowledged, round-robin over the processes;
a give counts once Quantive has made the award. Throughput is gives made per second from
the first send to the last award.

    .venv/bin/python -m bench.give_throughput
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.processes import BotProcess, EmulatorProcess, give_body, migrated_sqlite
from bot.background_server import BackgroundServer
from bot.store import migrate
from tests.fake_slack import FakeSlack
from tests.harness import bot_environment, signed_headers
from tests.postgres import PostgresServer

SENDERS = 20
GIVES = 400
WARM_UP = 40
ROUNDS = 3


def _median_round(rows: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median throughput."""
    return sorted(rows, key=lambda r: r["gives_per_s"])[len(rows) // 2]


async def load(urls: list[str], slack_url: str, count: int, tag: str) -> list[float]:
    """Send ``count`` gives from SENDERS tasks, round-robin over ``urls``; ack latencies."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=SENDERS)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def sender(number: int) -> None:
            for i in range(number, count, SENDERS):
                body = give_body(i, tag, slack_url)
                sent = time.perf_counter()
                answer = await client.post(
                    f"{urls[i % len(urls)]}/slack/events",
                    content=body,
                    headers=signed_headers(body),
                )
                latencies.append(time.perf_counter() - sent)
                assert answer.status_code == 200, answer.status_code

        await asyncio.gather(*(sender(n) for n in range(SENDERS)))
    return latencies


def wait_for_awards(emulator: EmulatorProcess, expected: int, timeout: float = 300) -> None:
    """Wait until Quantive has ``expected`` assign calls (polling its admin API)."""
    deadline = time.monotonic() + timeout
    while emulator.count("POST /badges/assign") < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{emulator.count('POST /badges/assign')}/{expected} awards")
        time.sleep(0.05)


def one_case(database_url: str, processes: int, slack: FakeSlack) -> dict[str, float]:
    """Throughput and latency of ``processes`` serve processes on one database."""
    emulator = EmulatorProcess()
    env = bot_environment(slack.url, emulator.url, emulator.account_id, database_url)
    bots = [BotProcess(env) for _ in range(processes)]
    try:
        urls = [b.url for b in bots]
        asyncio.run(load(urls, slack.url, WARM_UP, "warm"))
        wait_for_awards(emulator, WARM_UP)
        started = time.perf_counter()
        latencies = asyncio.run(load(urls, slack.url, GIVES, "timed"))
        wait_for_awards(emulator, WARM_UP + GIVES)
        wall = time.perf_counter() - started
        made = emulator.count("POST /badges/assign") - WARM_UP
    finally:
        for bot in bots:
            bot.stop()
        emulator.stop()
    ordered = sorted(latencies)
    return {
        "gives_per_s": GIVES / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "made": made,
    }


def main() -> None:
    """Run the three cases and print their figures and ratios."""
    slack = FakeSlack()
    with (
        tempfile.TemporaryDirectory() as tmp,
        BackgroundServer(slack.app) as slack_server,
        PostgresServer() as postgres,
    ):
        slack.url = slack_server.url

        def postgresql(name: str) -> str:
            url = postgres.create_database(name)
            asyncio.run(migrate(url))
            return url

        cases = {
            "SQLite, 1 process": lambda n: one_case(
                migrated_sqlite(Path(tmp) / f"{n}.db"), 1, slack
            ),
            "PostgreSQL, 1 process": lambda n: one_case(postgresql(f"one{n}"), 1, slack),
            "PostgreSQL, 2 processes": lambda n: one_case(postgresql(f"two{n}"), 2, slack),
        }
        only = sys.argv[1:]  # e.g. "PostgreSQL, 1 process", to look at one case
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
        # Rounds interleave the cases, so a noisy minute on this shared machine hits each
        # case once rather than one case three times; each figure is the median round.
        for n in range(ROUNDS):
            for name, run in cases.items():
                if not only or name in only:
                    runs[name].append(run(n))
        results = {name: _median_round(rows) for name, rows in runs.items() if rows}
    print(
        f"/badge give: {SENDERS} senders, {GIVES} gives per case, Quantive answering at once; "
        f"median of {ROUNDS} interleaved rounds (gives/s of each round in brackets)"
    )
    for name, row in results.items():
        print(
            f"  {name:<24} {row['gives_per_s']:6.1f} gives/s   ack p50 {row['p50_ms']:6.1f} ms"
            f"   p99 {row['p99_ms']:6.1f} ms   awards made {row['made']:.0f}/{GIVES}   "
            f"{[round(r['gives_per_s'], 1) for r in runs[name]]}"
        )
    if len(results) < len(cases):
        return
    sqlite = results["SQLite, 1 process"]["gives_per_s"]
    one = results["PostgreSQL, 1 process"]["gives_per_s"]
    two = results["PostgreSQL, 2 processes"]["gives_per_s"]
    print(f"  ratio PostgreSQL 1 process / SQLite: {one / sqlite:.2f}")
    print(f"  ratio PostgreSQL 2 processes / 1 process: {two / one:.2f}")


if __name__ == "__main__":
    main()
