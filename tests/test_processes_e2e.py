"""Exactly once across processes: real `python -m bot serve` and `digest` subprocesses
sharing one PostgreSQL, the fake Slack and the Quantive emulator. The module keeps one pair
of processes; the test that kills one comes last (a killed one would be started again).
A give in flight when its process dies is test_restart_e2e's real kill, and
test_award_integrity_e2e's in-process crash with another app taking over."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from api.emulator import Fault
from tests.harness import new_awards, process_environment
from tests.processes import BotProcess
from tests.test_digest import seed_pending
from tests.waiting import wait_until


@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture(scope="module")
def pair(
    emulator_server, slack_server, migrated_postgres
) -> Iterator[tuple[BotProcess, BotProcess]]:
    """Two processes for the module (starting one takes a second or two); the outbox
    retries after two seconds, so a retry comes due only after a test's kill."""
    slow_retry = {"OUTBOX_RETRY_BASE": "2", "OUTBOX_RETRY_CAP": "2"}
    first = BotProcess(emulator_server, slack_server, migrated_postgres, **slow_retry)
    second = BotProcess(emulator_server, slack_server, migrated_postgres, **slow_retry)
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def two_processes(
    pair: tuple[BotProcess, BotProcess], emulator, slack, database_url
) -> Iterator[tuple[BotProcess, BotProcess]]:
    """The pair over an emptied database, with any process a test killed started again
    (the emulator and fake Slack are reset by their fixtures). After the test they are
    left with nothing to do, so nothing they send reaches the next test."""
    assert database_url == pair[0].env["DATABASE_URL"]
    BotProcess.start_all(*pair)
    yield pair
    running = [process for process in pair if process.running]
    for process in running:
        process.wait_idle()
    if running:
        wait_until(lambda: queued_slack_calls(database_url) == 0)


def queued_slack_calls(url: str) -> int:
    """How many Slack calls the processes still have to make (or retry)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM chat_outbox WHERE state IN ('queued', 'leased')"
        ).fetchone()
        return int(row[0]) if row else 0


def test_two_digest_runs_at_once_post_once(emulator, slack, database_url) -> None:
    seed_pending(emulator, 3)
    env = process_environment(emulator, slack, database_url, DIGEST_CHANNELS="CHR,CMGMT")
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "digest"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    posts = slack.calls_of("chat.postMessage")
    assert sorted(p["channel"] for p in posts) == ["CHR", "CMGMT"]
    # Between them the runs posted to each channel once, whichever claimed it first.
    posted = [int(re.search(r"posted to (\d+)", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    assert sum(posted) == 2, outputs


def test_twenty_approve_clicks_on_two_processes_approve_once(two_processes, emulator, slack):
    first, second = two_processes
    first.command("give <@ULIAM|liam> Team Player twenty clicks", user="UAMARA")
    requests = slack.wait_calls("chat.postMessage", count=2, timeout=15)
    award_id = requests[0]["blocks"][-1]["elements"][0]["value"]
    # Long enough that every click lands while the decision is in flight, even on a busy
    # machine: a click by the deciding approver after it is done stays quiet by design.
    emulator.faults.set("POST /badges/approve/{id}", Fault(latency=1.5))
    barrier = threading.Barrier(20)

    def click(process: BotProcess, n: int) -> None:
        barrier.wait(timeout=10)
        approver = ("UMARIA", "UOLIVER")[n % 2]
        process.click("approve_award", award_id, approver, slack.response_url(f"click{n}"))

    clicks = [threading.Thread(target=click, args=((first, second)[n % 2], n)) for n in range(20)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=20)

    # Both request messages redrawn, then the giver's DM, the recipient's DM, the celebration.
    slack.wait_calls("chat.update", count=2, timeout=15)
    slack.wait_calls("chat.postMessage", count=5, timeout=15)
    slack.wait_calls("chat.update", count=2, timeout=15)  # from the outbox, beside the posts
    for process in (first, second):
        process.wait_idle()
    assert emulator.calls.count("POST /badges/approve/{id}") == 1
    assert emulator.state.assignments[award_id]["status"] == "approved"
    channels = [p["channel"] for p in slack.calls_of("chat.postMessage")]
    assert len(channels) == 5, channels
    assert channels.count("DUAMARA") == 1 and channels.count("DULIAM") == 1
    assert sorted(c for c in channels if not c.startswith("D")) == ["CGENERAL"]
    assert len(slack.calls_of("chat.update")) == 2
    answers = slack.calls_of("response_url")
    assert len(answers) == 19  # every other click hears, privately, that someone decided
    for answer in answers:
        assert answer["response_type"] == "ephemeral"
        assert "already" in answer["text"] or "being confirmed" in answer["text"], answer


def test_one_invocation_sent_to_both_processes_gives_once(two_processes, emulator, slack):
    """Slack retries, or a replay, may reach another process: the invocation is one give."""
    first, second = two_processes
    body = first.command_body("give <@ULIAM|liam> Visionary one invocation", user="UAMARA")
    for process in (first, second, second):
        process.send(body)
    slack.wait_calls("chat.postMessage", count=2, timeout=15)  # the approval requests
    for process in (first, second):
        process.wait_idle()
    assert [a["comment"] for a in new_awards(emulator)] == ["one invocation"]
    assert emulator.calls.count("POST /badges/assign") == 1
    assert len(slack.calls_of("chat.postMessage")) == 2


def test_a_give_queued_by_a_killed_process_is_delivered_once_by_the_other(
    two_processes, emulator, slack
):
    # The retry comes due (two seconds on) after the kill: only the survivor can deliver it.
    doomed, survivor = two_processes
    emulator.faults.set("POST /badges/assign", Fault(status=503))
    doomed.command("give <@ULIAM|liam> Team Player queued then killed", user="UAMARA")
    queued = slack.wait_calls(
        "chat.postEphemeral", timeout=15, where=lambda c: "queued" in c["text"].lower()
    )
    assert queued and emulator.calls.count("POST /badges/assign") == 1
    doomed.kill()
    emulator.faults.clear()
    slack.wait_calls("chat.postEphemeral", timeout=20, where=lambda c: "went through" in c["text"])
    slack.wait_calls("chat.postMessage", count=2, timeout=10)  # the approval requests
    survivor.wait_idle()
    assert [a["comment"] for a in new_awards(emulator)] == ["queued then killed"]
    assert emulator.calls.count("POST /badges/assign") == 2  # the 503, then one more
    assert len(slack.calls_of("chat.postMessage")) == 2
