"""`python -m bot clock`, the Procfile's clock process, run for real against the fake Slack
and the emulator: the tests of bot.clock give it stand-in jobs, and this one shows that the
process's own jobs post. Its first tick looks back an hour, so a digest whose time passed
five minutes ago is posted at once."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tests.harness import process_environment
from tests.test_digest import seed_pending


def test_the_clock_process_posts_a_digest_that_came_due_and_stops_on_sigterm(
    emulator, slack, database_url
) -> None:
    seed_pending(emulator, 2)
    due = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%H:%M")
    env = process_environment(
        emulator,
        slack,
        database_url,
        DIGEST_CHANNELS="CHR",
        DIGEST_TIME=due,
        DIGEST_TIMEZONE="UTC",
        DIGEST_DAYS="mon-sun",
    )
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        [posted] = slack.wait_calls("chat.postMessage", timeout=20)
        assert posted["channel"] == "CHR" and "2 badge awards" in posted["text"]
    finally:
        clock.send_signal(signal.SIGTERM)
        out, err = clock.communicate(timeout=20)
    assert clock.returncode == 0, err
    logged = out + err
    assert " ERROR " not in logged and "Traceback" not in logged, logged
    assert "clock stopped" in logged  # after the tick under way, not killed mid-post
    assert len(slack.calls_of("chat.postMessage")) == 1
