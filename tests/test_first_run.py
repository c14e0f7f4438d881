"""`make run` as a new user meets it: a port already taken, half a configuration, and a
playground that answers within 10 seconds."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx

from tests.waiting import wait_until


def test_make_run_with_the_port_taken_and_half_a_configuration(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUANTIVE_"))},
            "PORT": str(port),
            "SLACK_BOT_TOKEN": "xoxb-only-this-one",
        }
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            url = None
            assert proc.stdout is not None
            for line in proc.stdout:  # the URL line comes once every server answers
                found = re.search(r"badgebot playground: (http://\S+)", line)
                if found:
                    url = found.group(1)
                    break
            assert url is not None, proc.stderr.read() if proc.stderr else ""
            assert f":{port}/" not in url
            wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, timeout=10)
            assert time.monotonic() - started < 10  # usable within 10 s of `make run`
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert (
        f"Port {port} is already in use by another program; the playground takes "
        f"{url.rsplit(':', 1)[1].strip('/')} instead (set PORT to choose one)."
    ) in err
    assert (
        "Found SLACK_BOT_TOKEN, but the real bot also needs SLACK_SIGNING_SECRET, "
        "QUANTIVE_API_TOKEN, QUANTIVE_ACCOUNT_ID, BADGE_APPROVERS: starting the offline "
        "playground instead."
    ) in err
    assert "xoxb-only-this-one" not in err
