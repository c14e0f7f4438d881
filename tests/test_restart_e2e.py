"""Kill -9 in the middle of a give or an approval, start again: delivered exactly once.

The bot runs as a real subprocess (`python -m bot serve`); the emulator delays the call
so that the kill lands while Quantive is handling it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from api.emulator import Emulator, Fault
from tests.fake_slack import FakeSlack
from tests.harness import bot_environment, new_awards, new_trigger_id, signed_headers
from tests.waiting import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, emulator: Emulator, slack: FakeSlack, database_url: str) -> None:
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUANTIVE_"))},
            **bot_environment(
                slack.url,
                emulator.url,
                emulator.account_id,
                database_url,  # type: ignore[attr-defined]
                QUANTIVE_TIMEOUT="2",
                QUANTIVE_MAX_RETRIES="0",
                OUTBOX_POLL_SECONDS="0.2",
                OUTBOX_RETRY_BASE="0.2",
                OUTBOX_STALE_SECONDS="2.5",
                QUANTIVE_SETTLE_SECONDS="1",
            ),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def healthy() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "bot exited"
            try:
                return httpx.get(self.url + "/healthz", timeout=0.5).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout=20)

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
        self.send(
            urllib.parse.urlencode(
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
        )


@pytest.fixture
def process(emulator, slack, database_url) -> Iterator[BotProcess]:
    bot = BotProcess(emulator, slack, database_url)
    yield bot
    bot.stop()


def test_kill_during_give_then_restart_delivers_once(process: BotProcess, emulator, slack):
    process.start()
    emulator.faults.set("POST /badges/assign", Fault(latency=1.0))
    process.command("give <@ULIAM|liam> Team Player survived a crash", user="UAMARA")
    wait_until(lambda: emulator.calls.count("POST /badges/assign") == 1)
    process.kill()  # while Quantive is still handling the assign
    emulator.faults.clear()
    wait_until(lambda: len(new_awards(emulator)) == 1)  # Quantive finished it anyway

    process.start()
    told = slack.wait_calls(
        "chat.postEphemeral", timeout=20, where=lambda c: "went through" in c["text"]
    )
    assert told[0]["user"] == "UAMARA"
    slack.wait_calls("chat.postMessage", count=2)  # the approval requests
    assert len(new_awards(emulator)) == 1
    assert emulator.calls.count("POST /badges/assign") == 1


def test_kill_before_quantive_answers_a_refused_give_retries_once(
    process: BotProcess, emulator, slack
):
    process.start()
    emulator.faults.set("POST /badges/assign", Fault(status=503, latency=1.0))
    process.command("give <@ULIAM|liam> Visionary crash during outage", user="UAMARA")
    wait_until(lambda: emulator.calls.count("POST /badges/assign") == 1)
    process.kill()
    emulator.faults.clear()
    process.start()
    slack.wait_calls("chat.postEphemeral", timeout=20, where=lambda c: "went through" in c["text"])
    assert [a["comment"] for a in new_awards(emulator)] == ["crash during outage"]
    assert emulator.calls.count("POST /badges/assign") == 2


def test_kill_during_approval_then_restart_finishes_it(process: BotProcess, emulator, slack):
    process.start()
    process.command("give <@ULIAM|liam> Team Player approve me", user="UAMARA")
    requests = slack.wait_calls("chat.postMessage", count=2)
    award_id = requests[0]["blocks"][-1]["elements"][0]["value"]
    emulator.faults.set("POST /badges/approve/{id}", Fault(latency=1.0))
    import json

    process.send(
        urllib.parse.urlencode(
            {
                "payload": json.dumps(
                    {
                        "type": "block_actions",
                        "user": {"id": "UMARIA"},
                        "team": {"id": "T1"},
                        "api_app_id": "A1",
                        "token": "x",
                        "trigger_id": new_trigger_id(),
                        "response_url": "http://127.0.0.1:9/unused",
                        "actions": [
                            {
                                "action_id": "approve_award",
                                "value": award_id,
                                "block_id": "b",
                                "type": "button",
                            }
                        ],
                    }
                )
            }
        )
    )
    wait_until(lambda: emulator.calls.count("POST /badges/approve/{id}") == 1)
    process.kill()
    emulator.faults.clear()
    wait_until(lambda: emulator.state.assignments[award_id]["status"] == "approved")

    process.start()
    updates = slack.wait_calls("chat.update", count=2, timeout=20)
    assert all("Approved by <@UMARIA>" in str(u["blocks"]) for u in updates)
    slack.wait_calls("chat.postMessage", count=5)  # giver DM, recipient DM, celebration
    assert emulator.calls.count("POST /badges/approve/{id}") == 1
