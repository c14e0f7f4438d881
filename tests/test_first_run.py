"""`make run` as a new user meets it: a port already taken (or only just freed), half a
configuration, a quiet start-up that ends with the URL, and a playground that answers
within 10 seconds."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from starlette.applications import Starlette

from bot.background_server import BackgroundServer
from playground.run import choose_port
from tests.harness import clean_environ
from tests.waiting import wait_until

#: The playground's address, printed last and on a line of its own.
URL_LINE = re.compile(r"  (http://localhost:\d+/)")


def test_make_run_with_the_port_taken_and_half_a_configuration(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **clean_environ(),
            "PORT": str(port),
            "SLACK_BOT_TOKEN": "xoxb-only-this-one",
        }
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream, in the order a terminal shows them
            text=True,
        )
        said: list[str] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:  # the URL line comes once every server answers
                said.append(line.rstrip("\n"))
                if URL_LINE.fullmatch(said[-1]):
                    break
            found = URL_LINE.fullmatch(said[-1]) if said else None
            assert found is not None, "\n".join(said)
            url = found.group(1)
            assert f":{port}/" not in url
            wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, timeout=10)
            assert time.monotonic() - started < 10  # usable within 10 s of `make run`
            icon = httpx.get(url + "favicon.ico", timeout=5)  # no 404 in the browser's log
            assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        finally:
            proc.terminate()
            after, _ = proc.communicate(timeout=10)
    assert after.strip() == ""  # nothing printed after the URL
    new_port = url.rsplit(":", 1)[1].strip("/")
    # Start-up says what a new user needs and nothing else: no INFO lines, no warnings.
    assert [line for line in said[:-1] if line.strip()] == [
        "Found SLACK_BOT_TOKEN, but the real bot also needs SLACK_SIGNING_SECRET, "
        "QUANTIVE_API_TOKEN, QUANTIVE_ACCOUNT_ID, BADGE_APPROVERS: starting the offline "
        "playground instead.",
        f"Port {port} is already in use by another program; the playground takes "
        f"{new_port} instead (set PORT to choose one).",
        "  badgebot playground, with no Slack or Quantive account (Ctrl-C to stop):",
    ]
    assert "xoxb-only-this-one" not in "\n".join(said)


def port_in_time_wait() -> int:
    """A loopback port whose only socket is in TIME-WAIT, as a stopped playground leaves it
    for a minute: its side closed first, on a listener made as uvicorn makes one."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            served, _ = listener.accept()
            served.close()
            assert client.recv(1) == b""  # the server's FIN arrived
    with socket.socket() as plain:
        # The premise of the test: a bind without SO_REUSEADDR (the old port check) fails.
        with pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))
    return port


def test_a_restart_within_a_minute_keeps_the_port(capsys) -> None:
    """`make run` again at once: only TIME-WAIT sockets are left, so the port is free (the
    playground's servers bind as uvicorn does) and nothing says it is in use."""
    port = port_in_time_wait()
    assert choose_port(port) == port
    assert capsys.readouterr().err == ""
    with BackgroundServer(Starlette(), port=port) as server:  # and it really binds
        assert server.port == port
