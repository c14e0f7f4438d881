"""Servers in processes of their own for the benchmarks, so that the load generator, the
bot and Quantive do not share one interpreter lock."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from api.emulator.state import load_demo_data
from bot.store import migrate
from tests.postgres import PostgresServer


def migrated_sqlite(path: Path) -> str:
    """A ``sqlite:///`` URL for ``path``, migrated to the current schema."""
    url = f"sqlite:///{path}"
    asyncio.run(migrate(url))
    return url


@contextlib.contextmanager
def fresh_databases() -> Iterator[dict[str, Callable[[], str]]]:
    """Factories of empty databases at the current schema, by backend (``sqlite``,
    ``postgresql`` on a throwaway server), each call a new one; removed on exit."""
    with tempfile.TemporaryDirectory() as tmp, PostgresServer() as postgres:
        runs = iter(range(10_000))

        def sqlite() -> str:
            return migrated_sqlite(Path(tmp) / f"bench{next(runs)}.db")

        def postgresql() -> str:
            url = postgres.create_database(f"bench{next(runs)}")
            asyncio.run(migrate(url))
            return url

        yield {"sqlite": sqlite, "postgresql": postgresql}


def give_body(i: int, tag: str, slack_url: str) -> str:
    """The form body of the ``i``-th benchmark ``/badge give`` (givers take turns), with a
    trigger_id unique to ``tag`` and ``i``, as Slack makes them."""
    return urllib.parse.urlencode(
        {
            "command": "/badge",
            "user_id": ["UAMARA", "USOFIA", "UPRIYA"][i % 3],
            "text": f"give <@ULIAM|liam> Team Player {tag} {i}",
            "channel_id": "CBENCH",
            "team_id": "T1",
            "trigger_id": f"{i}.{tag}.trigger",
            "response_url": f"{slack_url}/response/{tag}{i}",
            "api_app_id": "A1",
        }
    )


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until ``url`` answers; the child has no other way to say it is ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(url)


class EmulatorProcess:
    """``python -m bot emulator`` driven through its admin API."""

    def __init__(self, data_file: Path | None = None) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "bot", "emulator", "--port", str(self.port)]
        if data_file is not None:
            command += ["--data", str(data_file)]
        self.proc = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/api/v1"
        self.account_id = load_demo_data()["accountId"]
        wait_for_http(f"{self.base}/_emulator/calls", self.proc)

    def calls(self) -> list[dict]:
        """Every call the emulator received."""
        return httpx.get(f"{self.base}/_emulator/calls", timeout=30).json()

    def count(self, route: str) -> int:
        """How many calls of one route."""
        return sum(1 for c in self.calls() if c["route"] == route)

    def fault(self, route: str, **fault: object) -> None:
        """Install a fault (latency, status, times, ratio) for a route or ``*``."""
        httpx.post(f"{self.base}/_emulator/faults", json={"route": route, **fault}, timeout=10)

    def clear_faults(self) -> None:
        """Remove every fault."""
        httpx.delete(f"{self.base}/_emulator/faults", timeout=10)

    def stop(self) -> None:
        """Stop the process."""
        self.proc.terminate()
        self.proc.wait(timeout=10)


class BotProcess:
    """``python -m bot serve`` (or another ASGI app) with the given environment."""

    def __init__(self, env: dict[str, str], command: list[str] | None = None) -> None:
        self.port = free_port()
        command = command or [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        command = [c.replace("{port}", str(self.port)) for c in command]
        self.proc = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for_http(f"{self.url}/healthz", self.proc)

    def stop(self) -> None:
        """Stop the process."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
