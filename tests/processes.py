"""The bot as real subprocesses (`python -m bot serve`), for crash and multi-process tests."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.parse

import httpx

from api.emulator import Emulator
from tests.fake_slack import FakeSlack
from tests.harness import new_trigger_id, process_environment, signed_headers
from tests.waiting import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(
        self, emulator: Emulator, slack: FakeSlack, database_url: str, **extra: str
    ) -> None:
        self.port = free_port()
        self.env = process_environment(
            emulator,
            slack,
            database_url,
            **{
                "QUANTIVE_TIMEOUT": "2",
                "QUANTIVE_MAX_RETRIES": "0",
                "OUTBOX_POLL_SECONDS": "0.2",
                "OUTBOX_RETRY_BASE": "0.2",
                "OUTBOX_STALE_SECONDS": "2.5",
                "QUANTIVE_SETTLE_SECONDS": "1",
                **extra,
            },
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process and wait until it answers."""
        self.launch()
        self.wait_started()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def launch(self) -> None:
        """Start the process without waiting (to start several at once)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=None,  # the test's own (captured, shown on failure); an unread pipe could fill
        )

    def wait_started(self) -> None:
        """Wait until the launched process answers /healthz."""

        def healthy() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "bot exited"
            try:
                return httpx.get(self.url + "/healthz", timeout=0.5).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout=20)

    @staticmethod
    def start_all(*processes: BotProcess) -> None:
        """Start every process that is not running, at once, and wait for them all."""
        stopped = [p for p in processes if not p.running]
        for process in stopped:
            process.launch()
        for process in stopped:
            process.wait_started()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def send(self, body: str) -> None:
        # The kill may land before the answer: a lost answer is part of the test.
        try:
            httpx.post(
                self.url + "/slack/events", content=body, headers=signed_headers(body), timeout=5
            )
        except httpx.TransportError:
            pass

    def command(self, text: str, user: str) -> None:
        """Send ``/badge <text>`` as ``user``."""
        self.send(self.command_body(text, user))

    @staticmethod
    def command_body(text: str, user: str) -> str:
        """The form body Slack sends for ``/badge <text>``, with a fresh trigger_id."""
        return urllib.parse.urlencode(
            {
                "command": "/badge",
                "text": text,
                "user_id": user,
                "channel_id": "CGENERAL",
                "team_id": "T1",
                "response_url": "http://127.0.0.1:9/unused",
                "trigger_id": new_trigger_id(),
                "api_app_id": "A1",
                "token": "x",
            }
        )

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Wait until every listener has finished, the work after its ack included."""

        def idle() -> bool:
            answer = httpx.get(self.url + "/healthz", timeout=2)
            return answer.headers["X-Listeners-Running"] == "0"

        wait_until(idle, timeout=timeout)

    def click(self, action_id: str, value: str, user: str, response_url: str) -> None:
        """Send a button click, as Slack does."""
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "token": "x",
            "trigger_id": new_trigger_id(),
            "response_url": response_url,
            "actions": [
                {"action_id": action_id, "value": value, "block_id": "b", "type": "button"}
            ],
        }
        self.send(urllib.parse.urlencode({"payload": json.dumps(payload)}))
