"""Benchmark: `/badge mine` against a 500-badge catalogue with 50 ms of emulator latency.

Sends signed slash commands to the running app (fake Slack and emulator on loopback) and
times until the answer reaches the response_url: once cold (every badge's holders fetched)
and once warm (the short-lived snapshot reused), and reports the ratio and the calls.

    .venv/bin/python -m bench.mine_at_scale
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from api.emulator.state import load_demo_data
from bench.processes import EmulatorProcess, migrated_sqlite
from bot.background_server import BackgroundServer
from tests.fake_slack import FakeSlack
from tests.harness import BotHarness

BADGES = 500
LATENCY = 0.05


def seed() -> dict:
    """The demo organisation with a 500-badge catalogue and some awards to Liam."""
    data = load_demo_data()
    data["badges"] += [
        {"id": f"b{i:023x}", "name": f"Bench badge {i}", "icon": "star"}
        for i in range(BADGES - len(data["badges"]))
    ]
    liam = "64a000000000000000000004"
    data["assignments"] += [
        {
            "id": f"x{i:023x}",
            "badgeId": f"b{i:023x}",
            "assigneeIds": [liam],
            "assignedById": "64a000000000000000000001",
            "status": "approved",
            "assignedOn": "2026-10-01T00:00:00Z",
        }
        for i in range(0, BADGES - 10, 7)
    ]
    return data


def timed_mine(bot: BotHarness, key: str) -> tuple[float, str]:
    """Seconds from sending `/badge mine` to its answer, and the answer."""
    started = time.perf_counter()
    bot.command("mine", user="ULIAM", response_key=key)
    [answer] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == key, timeout=60)
    return time.perf_counter() - started, str(answer.get("text"))


def main() -> None:
    """Run the benchmark and print its figures."""
    slack = FakeSlack()
    with tempfile.TemporaryDirectory() as tmp, BackgroundServer(slack.app) as slack_server:
        slack.url = slack_server.url
        data_file = Path(tmp) / "seed.json"
        data_file.write_text(json.dumps(seed()))
        emulator = EmulatorProcess(data_file)
        database = migrated_sqlite(Path(tmp) / "bench.db")
        try:
            # A first run caches the person's identity; a new app then starts cold.
            bot = BotHarness(emulator, slack, database).start()  # type: ignore[arg-type]
            timed_mine(bot, "identity")
            bot.stop()
            bot = BotHarness(emulator, slack, database).start()  # type: ignore[arg-type]
            emulator.fault("GET /badges/assign/{id}", latency=LATENCY)
            before = emulator.count("GET /badges/assign/{id}")
            cold, text = timed_mine(bot, "cold")
            cold_calls = emulator.count("GET /badges/assign/{id}") - before
            warm, _ = timed_mine(bot, "warm")
            warm_calls = emulator.count("GET /badges/assign/{id}") - before - cold_calls
            bot.stop()
        finally:
            emulator.stop()
    print(f"/badge mine, {BADGES} badges, {int(LATENCY * 1000)} ms per holders call")
    print(f"  answer: {text}")
    print(
        f"  cold: {cold:.2f} s, {cold_calls} holders calls "
        f"(sequential would be about {cold_calls * LATENCY:.1f} s)"
    )
    print(f"  warm: {warm:.3f} s, {warm_calls} holders calls")
    print(
        f"  ratio cold/warm: x{cold / warm:.1f}; "
        f"speed-up over sequential: x{cold_calls * LATENCY / cold:.1f}"
    )


if __name__ == "__main__":
    main()
