"""Benchmark: the ack of a signed slash command in distribution mode, with many installed
and connected workspaces, beside Bolt's own OAuth app.

50 workspaces are installed (and, for badgebot, connected to Quantive) straight into each
app's database: badgebot's encrypted installation store and connections, and, for the
baseline (bench.bare_oauth_app), slack_sdk's SQLAlchemy installation store, on SQLite
both. Each app runs in a process of its own under the same uvicorn settings
(bench.counted_server, which also counts SQL statements and times the ack's steps); the
fake Slack (auth.test for every workspace's token, response URLs) runs in this process,
the emulator in another. A third process is badgebot again with its background worker
asleep after its first round, to show what that worker costs the acks.

The load is `/badge help` (acked at once, answered through the response URL after the
ack; the baseline answers one line there too), from the workspaces in turn, paced, in
rounds that alternate between the apps, so all see the same machine. Besides latency,
the CPU each server process used per request (from /proc), which a busy machine blurs
far less than it blurs latency.

    .venv/bin/python -m bench.ack_path_workspaces

``BENCH_PROFILE_DIR=dir`` runs each server under cProfile and writes ``dir/<app>.prof``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from api.emulator import DEFAULT_TOKEN
from bench.processes import BotProcess, EmulatorProcess, migrated_sqlite
from bot.background_server import BackgroundServer
from bot.connections import connect
from bot.secrets import SecretBox, new_key
from bot.store import Store
from bot.store.database import create_engine
from handlers.slack.installations import EncryptedInstallationStore
from tests.fake_slack import FakeSlack
from tests.harness import SIGNING_SECRET, signed_headers

WORKSPACES = 50
RATE = 25.0  # requests per second, paced
REQUESTS = 80  # per app per round
ROUNDS = 3
CLIENT_ID = "1111.2222"
KEY = new_key()
TEAMS = [f"TBENCH{i:03d}" for i in range(WORKSPACES)]


def installation(answer: dict[str, Any]) -> Installation:
    """The installation ``oauth.v2.access`` would have given for a fake Slack answer."""
    return Installation(
        app_id=answer["app_id"],
        team_id=answer["team"]["id"],
        team_name=answer["team"]["name"],
        bot_token=answer["access_token"],
        bot_id="B" + answer["bot_user_id"][1:],
        bot_user_id=answer["bot_user_id"],
        bot_scopes=answer["scope"],
        user_id=answer["authed_user"]["id"],
        token_type="bot",
        is_enterprise_install=False,
        installed_at=time.time(),
    )


async def prepare(
    bot_db: str, bare_db: str, installs: list[Installation], emulator: EmulatorProcess
) -> None:
    """Install every workspace into both databases; connect each to Quantive in badgebot's."""
    bot_engine = create_engine(bot_db)
    encrypted = EncryptedInstallationStore(CLIENT_ID, bot_engine, SecretBox(KEY))
    bare_engine = create_engine(bare_db)
    bare = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=bare_engine)
    await bare.create_tables()
    await AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=bare_engine).create_tables()
    for each in installs:
        await encrypted.async_save(each)
        await bare.async_save(each)
    await bot_engine.dispose()
    await bare_engine.dispose()
    store = Store(bot_db)
    try:
        for team in TEAMS:
            await connect(
                store,
                SecretBox(KEY),
                f"slack:{team}",
                emulator.url,
                emulator.account_id,
                DEFAULT_TOKEN,
                "cli:bench",
            )
    finally:
        await store.aclose()


def help_body(i: int, tag: str, slack_url: str) -> str:
    """The ``i``-th `/badge help`, from the workspaces in turn."""
    team = TEAMS[i % WORKSPACES]
    return urllib.parse.urlencode(
        {
            "token": "unused",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": "CBENCH",
            "channel_name": "general",
            "user_id": f"UBENCH{i % 7}",
            "user_name": "bench",
            "command": "/badge",
            "text": "help",
            "response_url": f"{slack_url}/response/{tag}{i}",
            "trigger_id": f"{i}.{tag}.trigger",
            "api_app_id": "ABADGEBOT",
        }
    )


async def load(url: str, slack_url: str, count: int, rate: float | None, tag: str) -> list[float]:
    """Send ``count`` commands, paced at ``rate`` per second (one at a time when None);
    the seconds each took to be answered."""
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as client:
        started = time.perf_counter()

        async def one(i: int) -> None:
            if rate:
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            body = help_body(i, tag, slack_url)
            headers = signed_headers(body)
            sent = time.perf_counter()
            response = await client.post(url, content=body, headers=headers)
            latencies.append(time.perf_counter() - sent)
            assert response.status_code == 200, response.status_code
            # An empty ack: an answer with text would mean "not connected" or a failure.
            assert not response.content, response.text

        if rate:
            await asyncio.gather(*(one(i) for i in range(count)))
        else:
            for i in range(count):
                await one(i)
    return latencies


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile, as the other benchmarks take it."""
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)]


class App:
    """One app under test: its latencies, and its statement counts and step times."""

    def __init__(self, name: str, env: dict[str, str], which: str) -> None:
        self.name = name
        profiles = os.environ.get("BENCH_PROFILE_DIR")
        if profiles:  # each server under cProfile (bench.counted_server), its stats kept
            env = {**env, "BENCH_PROFILE": str(Path(profiles) / f"{name.replace(' ', '_')}.prof")}
        command = [sys.executable, "-m", "bench.counted_server", which, "{port}"]
        self.process = BotProcess(env, command)
        self.url = f"{self.process.url}/slack/events"
        self.first: list[float] = []
        self.latencies: list[float] = []
        self.totals: Counter[str] = Counter()
        self.seconds = 0.0
        self.started = time.perf_counter()
        #: The server's counts over its whole life, read before it stops.
        self.life: Counter[str] = Counter()
        self.lifetime = 0.0

    def counts(self) -> Counter[str]:
        """The server's statement counts and step seconds, and the CPU seconds it used."""
        counts = Counter(httpx.get(f"{self.process.url}/_bench/queries", timeout=10).json())
        fields = Path(f"/proc/{self.process.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        counts["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return counts

    def measured(self, run: Any) -> None:
        """Run a load and add its latencies, statement counts and step times."""
        before, started = self.counts(), time.perf_counter()
        self.latencies += run()
        after = self.counts()
        self.seconds += time.perf_counter() - started
        self.totals.update({k: after[k] - before[k] for k in after})

    def row(self) -> dict[str, float]:
        """The figures: latencies in ms; statements and step times per request."""
        per_request = {k: v / self.totals["requests"] for k, v in self.totals.items()}
        return {
            "first_ms": statistics.median(self.first) * 1000,
            "p50_ms": statistics.median(self.latencies) * 1000,
            "p99_ms": percentile(self.latencies, 0.99) * 1000,
            "cpu_ms": per_request["cpu_s"] * 1000,
            "queries": per_request["ack_path"],
            "after_ack": per_request.get("after_ack", 0.0),
            "background_per_s": self.totals["background"] / self.seconds,
            **{k: v * 1000 for k, v in per_request.items() if k.startswith("s_")},
            # The worker's figures over the server's whole life: its rounds are seconds long.
            "worker_rounds": self.life["worker_round"],
            "worker_round_s": self.life["s_worker_round"] / max(1, self.life["worker_round"]),
            "worker_busy": self.life["s_worker_round"] / self.lifetime,
            "worker_sql": {
                k.removeprefix("bg "): v / max(1, self.life["worker_round"]) / WORKSPACES
                for k, v in sorted(self.life.items(), key=lambda kv: -kv[1])
                if k.startswith("bg ") and v
            },
        }


STEPS = [
    ("s_app", "in the app"),
    ("s_authorize", "authorize"),
    ("s_auth_test", "auth.test in it"),
    ("s_replay_check", "replay check"),
    ("s_workspace_context", "workspace context"),
]


def main() -> None:
    """Run the benchmark and print its figures."""
    for name in list(os.environ):  # a developer's shell must not change either app's mode
        if name.startswith(("SLACK_", "QUANTIVE_", "TEAMS_", "MICROSOFT_", "DIGEST_")):
            del os.environ[name]
    slack = FakeSlack()
    with tempfile.TemporaryDirectory() as tmp, BackgroundServer(slack.app) as slack_server:
        slack.url = slack_server.url
        answers = [
            slack.add_install(f"code-{team}", team, f"Bench {team}", installer=f"UADMIN{team}")
            for team in TEAMS
        ]
        emulator = EmulatorProcess()
        bot_db = migrated_sqlite(Path(tmp) / "bot.db")
        bare_db = f"sqlite:///{Path(tmp) / 'bare.db'}"
        setup_started = time.perf_counter()
        asyncio.run(prepare(bot_db, bare_db, [installation(a) for a in answers], emulator))
        setup = time.perf_counter() - setup_started
        common = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{slack.url}/api/",
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": "client-secret",
        }
        bot_env = {
            **common,
            "DATABASE_URL": bot_db,
            "PUBLIC_URL": "https://badgebot.example.com",
            "BADGEBOT_SECRET_KEY": KEY,
        }
        # The same badgebot with its background worker asleep after its first round (it
        # still runs one at start), on a copy of the database: what the worker costs.
        idle_db = Path(tmp) / "idle.db"
        shutil.copyfile(Path(tmp) / "bot.db", idle_db)
        idle_env = {
            **bot_env,
            "DATABASE_URL": f"sqlite:///{idle_db}",
            "OUTBOX_POLL_SECONDS": "3600",
        }
        apps = [
            App("Bolt OAuth app", {**common, "DATABASE_URL": bare_db}, "bare"),
            App("badgebot", bot_env, "bot"),
            App("worker asleep", idle_env, "bot"),
        ]
        try:
            for app in apps:  # the first request of each workspace, one at a time
                app.first = asyncio.run(load(app.url, slack.url, WORKSPACES, None, "first"))
            for n in range(ROUNDS):
                for app in apps if n % 2 == 0 else apps[::-1]:  # each first in turn
                    app.measured(
                        lambda a=app, n=n: asyncio.run(
                            load(a.url, slack.url, REQUESTS, RATE, f"r{n}")
                        )
                    )
        finally:
            for app in apps:
                app.life, app.lifetime = app.counts(), time.perf_counter() - app.started
                if os.environ.get("BENCH_PROFILE_DIR"):
                    httpx.get(f"{app.process.url}/_bench/profile", timeout=60)
                app.process.stop()
            emulator.stop()
    rows = {app.name: app.row() for app in apps}
    print(
        f"`/badge help` acked, {WORKSPACES} installed workspaces (requests spread over them), "
        f"{ROUNDS} alternating rounds of {REQUESTS} at {RATE:.0f}/s per app, SQLite "
        f"(setup {setup:.1f} s)"
    )
    for name, row in rows.items():
        print(
            f"  {name:<15} p50 {row['p50_ms']:5.1f} ms   p99 {row['p99_ms']:6.1f} ms   "
            f"first per workspace p50 {row['first_ms']:5.1f} ms   "
            f"CPU {row['cpu_ms']:4.1f} ms per request   "
            f"SQL per ack {row['queries']:.2f} (after it {row['after_ack']:.2f}), "
            f"background {row['background_per_s']:.0f}/s"
        )
    for name, row in rows.items():
        if row["worker_rounds"]:
            print(
                f"  {name:<15} background worker: {row['worker_rounds']:.0f} rounds over "
                f"{WORKSPACES} workspaces in the process's life, {row['worker_round_s']:.2f} s "
                f"each, busy {row['worker_busy']:.0%} of the time; statements per workspace per "
                f"round: {sum(row['worker_sql'].values()):.1f}"
            )
            print("    " + ", ".join(f"{k} {v:.1f}" for k, v in row["worker_sql"].items()))
    print("  server-side ms per ack (mean):")
    for name, row in rows.items():
        steps = ", ".join(f"{label} {row[key]:.2f}" for key, label in STEPS if key in row)
        print(f"    {name:<15} {steps}")
    bare = rows["Bolt OAuth app"]
    for name in ("badgebot", "worker asleep"):
        row = rows[name]
        print(
            f"  ratio {name}/Bolt: p50 x{row['p50_ms'] / bare['p50_ms']:.2f}, "
            f"p99 x{row['p99_ms'] / bare['p99_ms']:.2f}, "
            f"CPU per request x{row['cpu_ms'] / bare['cpu_ms']:.2f}, "
            f"SQL per ack x{row['queries'] / bare['queries']:.2f}"
        )


if __name__ == "__main__":
    main()
