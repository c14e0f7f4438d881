"""Benchmark: how fast `/badge give` is acknowledged under load, beside a bare Bolt app.

20 concurrent senders send 300 signed `/badge give` commands to badgebot (a subprocess),
with the emulator (another subprocess) answering every call after 300 ms; the same load
then goes to a Bolt app that only acks, on the same stack. Two loads: a flood (each sender
sends as soon as its last request was acked, which saturates even the bare app) and a
paced load of 50 requests per second, where latency is not just queueing.

    .venv/bin/python -m bench.ack_latency
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
from tests.fake_slack import FakeSlack
from tests.harness import bot_environment, signed_headers

SENDERS = 20
REQUESTS = 300
LATENCY = 0.3
PACED_RATE = 50.0


async def load(url: str, slack_url: str, *, rate: float | None, tag: str) -> dict[str, float]:
    """Send REQUESTS gives from SENDERS tasks; ``rate`` paces them (requests per second)."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=SENDERS)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        started = time.perf_counter()

        async def sender(number: int) -> None:
            for i in range(number, REQUESTS, SENDERS):
                if rate:
                    await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
                body = give_body(i, tag, slack_url)
                sent = time.perf_counter()
                response = await client.post(url, content=body, headers=signed_headers(body))
                latencies.append(time.perf_counter() - sent)
                assert response.status_code == 200, response.status_code

        await asyncio.gather(*(sender(n) for n in range(SENDERS)))
        wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "rps": REQUESTS / wall,
    }


def measure(url: str, slack_url: str) -> tuple[dict[str, float], dict[str, float]]:
    """Warm up, then the flood and the paced load."""
    asyncio.run(load(url, slack_url, rate=None, tag="warm-up"))
    flood = asyncio.run(load(url, slack_url, rate=None, tag="flood"))
    paced = asyncio.run(load(url, slack_url, rate=PACED_RATE, tag="paced"))
    return flood, paced


def main() -> None:
    """Run the benchmark and print its figures."""
    slack = FakeSlack()
    with tempfile.TemporaryDirectory() as tmp, BackgroundServer(slack.app) as slack_server:
        slack.url = slack_server.url
        emulator = EmulatorProcess()
        emulator.fault("*", latency=LATENCY)
        env = bot_environment(
            slack.url, emulator.url, emulator.account_id, migrated_sqlite(Path(tmp) / "bench.db")
        )
        bare = BotProcess(env, [sys.executable, "-m", "bench.bare_app", "{port}"])
        try:
            bare_flood, bare_paced = measure(f"{bare.url}/slack/events", slack.url)
        finally:
            bare.stop()
        bot = BotProcess(env)
        try:
            bot_flood, bot_paced = measure(f"{bot.url}/slack/events", slack.url)
            expected = 3 * REQUESTS
            deadline = time.monotonic() + 180
            while emulator.count("POST /badges/assign") < expected:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)  # the awards are made after the acks, in the bot's process
            awards = emulator.count("POST /badges/assign")
        finally:
            bot.stop()
            emulator.stop()
    print(
        f"/badge give, {SENDERS} concurrent senders, {REQUESTS} requests per load, "
        f"Quantive at {int(LATENCY * 1000)} ms per call"
    )
    rows = [
        ("flood", "bare Bolt app", bare_flood),
        ("flood", "badgebot", bot_flood),
        (f"{PACED_RATE:.0f}/s", "bare Bolt app", bare_paced),
        (f"{PACED_RATE:.0f}/s", "badgebot", bot_paced),
    ]
    for load_name, name, row in rows:
        print(
            f"  {load_name:<6} {name:<14} p50 {row['p50_ms']:6.1f} ms   "
            f"p99 {row['p99_ms']:6.1f} ms   {row['rps']:6.1f} req/s"
        )
    print(f"  flood throughput ratio badgebot/bare: {bot_flood['rps'] / bare_flood['rps']:.2f}")
    print(f"  awards made in Quantive after the acks: {awards}/{expected}")


if __name__ == "__main__":
    main()
