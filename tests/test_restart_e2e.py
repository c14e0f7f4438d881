"""Kill -9 in the middle of a give or an approval, start again: delivered exactly once.

The bot runs as a real subprocess (`python -m bot serve`); the emulator delays the call
so that the kill lands while Quantive is handling it. One real kill -9 per kind of crash, on
SQLite: what a backend changes in the recovery (stale rows taken back once) is checked on
both in test_store, and test_processes_e2e kills processes on PostgreSQL."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.emulator import Fault
from tests.conftest import empty_sqlite
from tests.harness import new_awards
from tests.processes import BotProcess
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def database_file(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's SQLite file: its process outlives each test."""
    path = tmp_path_factory.mktemp("restart") / "bot.db"
    shutil.copyfile(migrated_sqlite, path)
    return path


@pytest.fixture(scope="module")
def kept_process(emulator_server, slack_server, database_file: Path) -> Iterator[BotProcess]:
    # A shorter stale window than the other process tests' (it still exceeds the Quantive
    # deadline, as the settings require): the restarted process takes over sooner.
    bot = BotProcess(
        emulator_server,
        slack_server,
        f"sqlite:///{database_file}",
        QUANTIVE_TIMEOUT="1",
        OUTBOX_STALE_SECONDS="1.5",
    )
    yield bot
    bot.stop()


@pytest.fixture
def process(kept_process: BotProcess, emulator, slack, database_file: Path) -> Iterator[BotProcess]:
    """The running process (the one the last test started again after its kill) over an
    emptied database; the emulator and fake Slack are reset by their fixtures. After the
    test it is left with nothing to do, so nothing it sends reaches the next test."""
    empty_sqlite(database_file)
    BotProcess.start_all(kept_process)
    yield kept_process
    if kept_process.running:
        kept_process.wait_idle()
        wait_until(lambda: queued_slack_calls(database_file) == 0)


def queued_slack_calls(path: Path) -> int:
    """How many Slack calls the process still has to make (or retry)."""
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM chat_outbox WHERE state IN ('queued', 'leased')"
            ).fetchone()[0]
        )


def test_kill_during_give_then_restart_delivers_once(process: BotProcess, emulator, slack):
    # Quantive makes the award at once and answers a second later: the kill lands after
    # the award exists and before its answer (a kill before the whole request arrived
    # would rightly lead to a resend).
    emulator.faults.set("POST /badges/assign", Fault(latency_after=1.0))
    process.command("give <@ULIAM|liam> Team Player survived a crash", user="UAMARA")
    wait_until(lambda: len(new_awards(emulator)) == 1)
    process.kill()
    emulator.faults.clear()

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
    emulator.faults.set("POST /badges/assign", Fault(status=503, latency=1.0))
    process.command("give <@ULIAM|liam> Visionary crash during outage", user="UAMARA")
    wait_until(lambda: emulator.calls.count("POST /badges/assign") == 1)
    process.kill()
    emulator.faults.clear()
    process.start()
    slack.wait_calls("chat.postEphemeral", timeout=20, where=lambda c: "went through" in c["text"])
    # The approval requests go out beside the receipt, from the worker rather than a
    # listener: waited for here, or they could land in the next test's fake Slack.
    slack.wait_calls("chat.postMessage", count=2)
    assert [a["comment"] for a in new_awards(emulator)] == ["crash during outage"]
    assert emulator.calls.count("POST /badges/assign") == 2


def test_kill_during_approval_then_restart_finishes_it(process: BotProcess, emulator, slack):
    process.command("give <@ULIAM|liam> Team Player approve me", user="UAMARA")
    requests = slack.wait_calls("chat.postMessage", count=2)
    award_id = requests[0]["blocks"][-1]["elements"][0]["value"]
    # As for the give: approved at once, answered a second later, killed in between.
    emulator.faults.set("POST /badges/approve/{id}", Fault(latency_after=1.0))
    process.click("approve_award", award_id, "UMARIA", "http://127.0.0.1:9/unused")
    wait_until(lambda: emulator.state.assignments[award_id]["status"] == "approved")
    process.kill()
    emulator.faults.clear()

    process.start()
    updates = slack.wait_calls("chat.update", count=2, timeout=20)
    assert all("Approved by <@UMARIA>" in str(u["blocks"]) for u in updates)
    slack.wait_calls("chat.postMessage", count=5)  # giver DM, recipient DM, celebration
    assert emulator.calls.count("POST /badges/approve/{id}") == 1
