"""Benchmark: how long Teams waits for the answer to an Approve click, beside how long
Slack waits for the ack of the same click, in one run.

One `python -m bot serve` process serves Slack and Teams; the emulator (a process of its
own) answers every Quantive call after 300 ms. Each round, 20 approvers click Approve on
20 different pending awards at once in Teams (signed `adaptiveCard/action` invokes,
answered with the decided card, so the answer includes the Quantive call), then 20 at
once in Slack (acked first, decided after the ack). Three rounds; every latency counts.

    .venv/bin/python -m bench.invoke_latency
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from api.emulator.state import load_demo_data
from bench.processes import BotProcess, EmulatorProcess, migrated_sqlite
from bot.background_server import BackgroundServer
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeTeams
from tests.harness import bot_environment, click_body, signed_headers

CLICKS = 20
ROUNDS = 3
LATENCY = 0.3
AMARA = "64a000000000000000000003"
LIAM = "64a000000000000000000004"


def seed_with_pending(path: Path, count: int) -> list[str]:
    """The demo organisation plus ``count`` awards waiting for approval; their ids."""
    data = load_demo_data()
    ids = [f"64e{i:021d}" for i in range(count)]
    for assignment_id in ids:
        data["assignments"].append(
            {
                "id": assignment_id,
                "accountId": data["accountId"],
                "badgeId": "64c000000000000000000002",
                "assigneeIds": [LIAM],
                "assignedById": AMARA,
                "assignedOn": "2026-11-27T09:00:00Z",
                "comment": "bench",
                "status": "pending",
            }
        )
    path.write_text(json.dumps(data))
    return ids


def percentiles(latencies: list[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


async def teams_clicks(url: str, teams: FakeTeams, ids: list[str]) -> list[float]:
    """Approve each award from Teams at once; the time until each invoke is answered."""
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(assignment_id: str) -> float:
            card = {"conversation": "a:maria", "id": f"activity-{assignment_id}"}
            action = {
                "verb": "approve",
                "data": {"action": "approve", "assignment_id": assignment_id, "card": "request"},
            }
            activity = teams.click(card, action, user="29:maria")
            headers = {"Authorization": f"Bearer {teams.sign()}"}
            sent = time.perf_counter()
            answer = await client.post(f"{url}/api/messages", json=activity, headers=headers)
            elapsed = time.perf_counter() - sent
            assert answer.status_code == 200, answer.text
            return elapsed

        return list(await asyncio.gather(*(one(i) for i in ids)))


async def slack_clicks(url: str, ids: list[str]) -> list[float]:
    """Approve each award from Slack at once; the time until each click is acked."""
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(assignment_id: str) -> float:
            body = click_body("approve_award", assignment_id, "UMARIA", channel="DUMARIA")
            sent = time.perf_counter()
            answer = await client.post(
                f"{url}/slack/events", content=body, headers=signed_headers(body)
            )
            elapsed = time.perf_counter() - sent
            assert answer.status_code == 200, answer.status_code
            return elapsed

        return list(await asyncio.gather(*(one(i) for i in ids)))


def wait_until_idle(url: str, timeout: float = 120) -> None:
    """Until the bot has no work in hand (the decisions after Slack's acks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/healthz").headers.get("x-listeners-running") == "0":
            return
        time.sleep(0.1)
    raise TimeoutError("the bot is still busy")


def main() -> None:
    """Run the benchmark and print its figures."""
    slack, teams = FakeSlack(), FakeTeams()
    with (
        tempfile.TemporaryDirectory() as tmp,
        BackgroundServer(slack.app) as slack_server,
        BackgroundServer(teams.app) as teams_server,
    ):
        slack.url, teams.url = slack_server.url, teams_server.url
        ids = seed_with_pending(Path(tmp) / "seed.json", 2 * CLICKS * ROUNDS)
        emulator = EmulatorProcess(Path(tmp) / "seed.json")
        emulator.fault("*", latency=LATENCY)
        env = bot_environment(
            slack.url, emulator.url, emulator.account_id, migrated_sqlite(Path(tmp) / "b.db")
        )
        env.update({k.upper(): str(v) for k, v in teams.settings().items()})
        bot = BotProcess(env)
        invoke: list[float] = []
        ack: list[float] = []
        try:
            for round_number in range(ROUNDS):
                batch = ids[2 * CLICKS * round_number : 2 * CLICKS * (round_number + 1)]
                invoke += asyncio.run(teams_clicks(bot.url, teams, batch[:CLICKS]))
                wait_until_idle(bot.url)
                ack += asyncio.run(slack_clicks(bot.url, batch[CLICKS:]))
                wait_until_idle(bot.url)
            approvals = emulator.count("POST /badges/approve/{id}")
        finally:
            bot.stop()
            emulator.stop()
    teams_figures, slack_figures = percentiles(invoke), percentiles(ack)
    print(
        f"Approve clicks, {CLICKS} at once, {ROUNDS} rounds, Quantive at "
        f"{int(LATENCY * 1000)} ms per call"
    )
    print(
        f"  Teams invoke answered (decided card): p50 {teams_figures['p50']:6.1f} ms   "
        f"p99 {teams_figures['p99']:6.1f} ms"
    )
    print(
        f"  Slack click acked (decided after):    p50 {slack_figures['p50']:6.1f} ms   "
        f"p99 {slack_figures['p99']:6.1f} ms"
    )
    print(f"  p99 ratio Teams/Slack: {teams_figures['p99'] / slack_figures['p99']:.1f}")
    print(f"  approvals made in Quantive: {approvals}/{2 * CLICKS * ROUNDS}")


if __name__ == "__main__":
    main()
