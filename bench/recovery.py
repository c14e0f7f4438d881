"""Benchmark: from Quantive coming back to the last queued award delivered.

Quantive (the emulator, in its own process) answers 503 to every assign while N gives are
sent to badgebot (its own process); once all N are queued the fault is lifted, and the
time until Quantive holds all N awards is measured, for N = 10 and N = 100.

    .venv/bin/python -m bench.recovery
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx

from bench.processes import BotProcess, EmulatorProcess, give_body, migrated_sqlite
from bot.background_server import BackgroundServer
from tests.fake_slack import FakeSlack
from tests.harness import bot_environment, signed_headers

SEEDED_PENDING = 3


def pending_count(emulator: EmulatorProcess) -> int:
    """Awards waiting in Quantive, besides the seeded ones."""
    headers = {"Authorization": "Bearer emulator-token", "gtmhub-accountId": emulator.account_id}
    body = httpx.get(f"{emulator.url}/badges/approve", headers=headers, timeout=30).json()
    return int(body["totalCount"]) - SEEDED_PENDING


def one_run(queued: int, slack: FakeSlack, folder: Path) -> float:
    """Seconds from Quantive coming back to ``queued`` awards delivered."""
    emulator = EmulatorProcess()
    emulator.fault("POST /badges/assign", status=503)
    env = bot_environment(
        slack.url,
        emulator.url,
        emulator.account_id,
        migrated_sqlite(folder / f"r{queued}.db"),
        QUANTIVE_MAX_RETRIES="0",
        OUTBOX_POLL_SECONDS="0.5",
        OUTBOX_RETRY_BASE="0.5",
        OUTBOX_RETRY_CAP="2",
        # A 503 to a POST leaves the outcome unknown: Quantive gets 1 s to show the award
        # before it is sent again.
        QUANTIVE_SETTLE_SECONDS="1",
    )
    bot = BotProcess(env)
    try:
        with httpx.Client(timeout=30) as client:
            for i in range(queued):
                body = give_body(i, "queued", slack.url)
                client.post(f"{bot.url}/slack/events", content=body, headers=signed_headers(body))
        while emulator.count("POST /badges/assign") < queued:
            time.sleep(0.1)  # every give has been tried once and queued
        assert pending_count(emulator) == 0
        emulator.clear_faults()
        back = time.perf_counter()
        while pending_count(emulator) < queued:
            time.sleep(0.05)
        elapsed = time.perf_counter() - back
        time.sleep(1.0)
        assert pending_count(emulator) == queued, "an award was doubled"
    finally:
        bot.stop()
        emulator.stop()
    return elapsed


def main() -> None:
    """Run the benchmark and print its figures."""
    slack = FakeSlack()
    with tempfile.TemporaryDirectory() as tmp, BackgroundServer(slack.app) as server:
        slack.url = server.url
        small = one_run(10, slack, Path(tmp))
        large = one_run(100, slack, Path(tmp))
    print("Recovery: Quantive back -> last queued award delivered (each exactly once)")
    print(f"  10 queued: {small:.2f} s   100 queued: {large:.2f} s   ratio x{large / small:.1f}")
    print(f"  per award at 100: {large / 100 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
