"""Benchmark: distribution mode's digest for 50 connected workspaces, beside the same for
one, in one run: time, and Quantive, Slack and SQL calls, per workspace.

Each workspace is installed (badgebot's encrypted installation store) and connected to a
Quantive of its own: one emulator per workspace, each with its own token and account and
the demo data's three pending awards, all served by one loopback server under a path of
their own (``/q7/api/v1`` ...), so each emulator's call log is one workspace's Quantive
calls. Each workspace subscribes one channel through its own ``digest_channels`` setting.
The digest runs as ``python -m bot digest`` runs it in distribution mode
(bot.cli.scheduled.workspaces_runtime: every connected workspace's job, its token from
the installation), on a fresh SQLite database per case, against the fake Slack. CPU is
this whole process's (the fakes' threads included: the same work per workspace in either
case), which a busy machine blurs less than it blurs time.

    .venv/bin/python -m bench.digest_workspaces
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.emulator import Emulator
from bench.ack_path_workspaces import installation
from bench.processes import migrated_sqlite
from bot.background_server import BackgroundServer
from bot.cli.scheduled import workspaces_runtime
from bot.connections import connect
from bot.secrets import SecretBox, new_key
from bot.settings import Settings
from bot.store import Store
from bot.store.database import create_engine
from handlers.slack.installations import EncryptedInstallationStore
from tests.fake_slack import FakeSlack
from tests.harness import SIGNING_SECRET

MANY = 50
ROUNDS = 2  # each case twice, alternating: 1, 50, 1, 50
CLIENT_ID = "1111.2222"
KEY = new_key()
STATEMENTS = Counter[str]()
#: Seconds spent in the garbage collector, and when the current collection began.
GC = {"seconds": 0.0, "started": 0.0}


@event.listens_for(Engine, "before_cursor_execute")
def _count(*_args: Any) -> None:
    STATEMENTS["sql"] += 1


def _collecting(phase: str, _info: dict[str, Any]) -> None:
    if phase == "start":
        GC["started"] = time.perf_counter()
    else:
        GC["seconds"] += time.perf_counter() - GC["started"]


gc.callbacks.append(_collecting)


class Quantives:
    """One emulator per workspace behind one ASGI app: ``/q<n>/...`` is emulator n's."""

    def __init__(self, count: int) -> None:
        self.emulators = [
            Emulator(token=f"qt-bench-{n:03d}", account_id=f"acct-bench-{n:03d}")
            for n in range(count)
        ]
        self.url = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass the request to the emulator its path names, without the ``/q<n>``."""
        if scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"].removeprefix("lifespan.")
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        _, head, rest = scope["path"].split("/", 2)
        app = self.emulators[int(head[1:])].app
        path = "/" + rest
        await app({**scope, "path": path, "raw_path": path.encode()}, receive, send)

    def api_url(self, n: int) -> str:
        """Emulator n's API base URL."""
        return f"{self.url}/q{n}/api/v1"


async def prepare(database: str, teams: list[str], slack: FakeSlack, quantives: Quantives) -> None:
    """Install and connect each workspace, each subscribing its own digest channel."""
    engine = create_engine(database)
    store = EncryptedInstallationStore(CLIENT_ID, engine, SecretBox(KEY))
    for team in teams:
        answer = slack.add_install(f"code-{team}", team, f"Bench {team}", installer=f"UA{team}")
        await store.async_save(installation(answer))
    await engine.dispose()
    badgebot = Store(database)
    try:
        for n, team in enumerate(teams):
            emulator = quantives.emulators[n]
            key = f"slack:{team}"
            await connect(
                badgebot,
                SecretBox(KEY),
                key,
                quantives.api_url(n),
                emulator.account_id,
                emulator.token,
                "cli:bench",
            )
            await badgebot.for_workspace(key).set_workspace_setting(
                "digest_channels", [f"CDIGEST{team}"], "bench"
            )
    finally:
        await badgebot.aclose()


async def digest_all(
    settings: Settings,
) -> tuple[float, float, list[tuple[float, float, float]], int]:
    """The digest of every connected workspace, as ``python -m bot digest`` posts it; the
    seconds to list the jobs (each workspace's services and token) and to run them, each
    job's seconds, CPU seconds and seconds in the garbage collector, and how many channels
    were posted to."""
    started = time.perf_counter()
    async with workspaces_runtime(settings) as jobs_now:
        jobs = await jobs_now()
        listed = time.perf_counter()
        posted, each = 0, []
        for platform in jobs:
            one, cpu, collecting = time.perf_counter(), time.process_time(), GC["seconds"]
            report = await platform.digest.run()
            each.append(
                (
                    time.perf_counter() - one,
                    time.process_time() - cpu,
                    GC["seconds"] - collecting,
                )
            )
            assert not report.failed, report.failed
            posted += len(report.posted)
        ran = time.perf_counter()
    return listed - started, ran - listed, each, posted


def one_case(count: int, tmp: Path, n: int, slack: FakeSlack, quantives: Quantives) -> dict:
    """Install, connect and digest ``count`` workspaces on a fresh database; the figures."""
    teams = [f"TDIG{n}X{i:03d}" for i in range(count)]
    database = migrated_sqlite(tmp / f"digest{n}.db")
    asyncio.run(prepare(database, teams, slack, quantives))
    slack.reset()
    for emulator in quantives.emulators:
        emulator.calls.clear()
    settings = Settings(
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{slack.url}/api/",
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret",
        public_url="https://badgebot.example.com",
        badgebot_secret_key=KEY,
        database_url=database,
    )
    before, gc_before, cpu = STATEMENTS["sql"], GC["seconds"], time.process_time()
    listing, running, each, posted = asyncio.run(digest_all(settings))
    cpu = time.process_time() - cpu
    assert posted == count, (posted, count)
    quantive = [len(e.calls.all()) for e in quantives.emulators[:count]]
    routes = Counter(c.route for e in quantives.emulators[:count] for c in e.calls.all())
    tokens = Counter(c.token for c in slack.calls)
    methods = Counter(c.method for c in slack.calls)
    return {
        "count": count,
        "listing_s": listing,
        "running_s": running,
        "total_s": listing + running,
        "quantive": quantive,
        "quantive_routes": {k: v / count for k, v in routes.items()},
        "slack_per_ws": sum(tokens.values()) / count,
        "slack_methods": {k: v / count for k, v in methods.items()},
        "tokens": len([t for t in tokens if t]),
        "sql_per_ws": (STATEMENTS["sql"] - before) / count,
        "gc_s": GC["seconds"] - gc_before,
        "cpu_ms_per_ws": cpu / count * 1000,
        "first": [statistics.mean(e[i] for e in each[:10]) * 1000 for i in range(3)],
        "last": [statistics.mean(e[i] for e in each[-10:]) * 1000 for i in range(3)],
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    for name in list(os.environ):  # a developer's shell must not change the mode
        if name.startswith(("SLACK_", "QUANTIVE_", "TEAMS_", "MICROSOFT_", "DIGEST_")):
            del os.environ[name]
    slack = FakeSlack()
    quantives = Quantives(MANY)
    rows: dict[int, list[dict]] = {1: [], MANY: []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        BackgroundServer(slack.app) as slack_server,
        BackgroundServer(quantives) as quantive_server,
    ):
        slack.url = slack_server.url
        quantives.url = quantive_server.url
        one_case(1, Path(tmp), 99, slack, quantives)  # warm-up: imports, first statements
        n = 0
        for _ in range(ROUNDS):
            for count in (1, MANY):
                rows[count].append(one_case(count, Path(tmp), n, slack, quantives))
                n += 1
    print(
        f"distribution-mode digest, each workspace its own Quantive (3 pending awards) and one "
        f"digest channel, SQLite, {ROUNDS} alternating runs of each"
    )
    for count, runs in rows.items():
        for row in runs:
            calls = row["quantive"]
            print(
                f"  {count:>3} workspace(s): {row['total_s']:5.2f} s "
                f"(jobs listed {row['listing_s']:.2f} s, digests {row['running_s']:.2f} s), "
                f"{row['total_s'] / count * 1000:6.1f} ms and "
                f"{row['cpu_ms_per_ws']:5.1f} ms of CPU per workspace; per workspace: "
                f"Quantive {statistics.mean(calls):.1f} calls (min {min(calls)}, max "
                f"{max(calls)}), Slack {row['slack_per_ws']:.1f}, SQL {row['sql_per_ws']:.1f}; "
                f"{row['tokens']} bot tokens used"
            )
            first, last = row["first"], row["last"]
            print(
                f"        one digest: first {min(10, count)} {first[0]:.1f} ms ({first[1]:.1f} "
                f"CPU, {first[2]:.1f} GC), last {min(10, count)} {last[0]:.1f} ms ({last[1]:.1f}"
                f" CPU, {last[2]:.1f} GC); in the garbage collector in all {row['gc_s']:.2f} s"
            )
    last = rows[MANY][-1]
    print(f"  Quantive calls per workspace at {MANY}: {last['quantive_routes']}")
    print(f"  Slack calls per workspace at {MANY}: {last['slack_methods']}")
    one = statistics.median(r["total_s"] for r in rows[1])
    many = statistics.median(r["total_s"] / MANY for r in rows[MANY])
    listing = statistics.median(r["listing_s"] / MANY for r in rows[MANY])
    listing_one = statistics.median(r["listing_s"] for r in rows[1])
    cpu_one = statistics.median(r["cpu_ms_per_ws"] for r in rows[1])
    cpu_many = statistics.median(r["cpu_ms_per_ws"] for r in rows[MANY])
    print(
        f"  ratio per-workspace time {MANY} / 1: x{many / one:.2f} "
        f"(listing the jobs x{listing / listing_one:.2f}); CPU per workspace "
        f"x{cpu_many / cpu_one:.2f}"
    )


if __name__ == "__main__":
    main()
