"""`python -m bot socket`, the Socket Mode process, run for real: it connects through
``apps.connections.open`` to a loopback Socket Mode end (tests.fake_socket_mode), acks a
slash command's envelope, answers it through its response URL, and on SIGTERM closes
its connection and exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.fake_socket_mode import FakeSocketMode
from tests.harness import process_environment


def test_the_socket_process_answers_a_command_and_stops_on_sigterm(
    emulator, slack, database_url
) -> None:
    env = process_environment(emulator, slack, database_url, SLACK_APP_TOKEN="xapp-1-A1-1-abc")
    with FakeSocketMode() as sockets:
        slack.socket_url = sockets.url
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "socket"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            sockets.wait_connected()
            sockets.send(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": {
                        "command": "/badge",
                        "text": "help",
                        "user_id": "UAMARA",
                        "channel_id": "CGENERAL",
                        "team_id": "T1",
                        "trigger_id": "1.1.socket",
                        "response_url": slack.response_url("help"),
                        "api_app_id": "A1",
                    },
                }
            )
            sockets.wait_ack("env-1")
            [answer] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "help")
            assert "/badge give" in answer["text"]
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=20)
        sockets.wait_closed()
    logged = out + err
    assert process.returncode == 0, logged
    assert "socket mode stopped" in logged and "Traceback" not in logged, logged
