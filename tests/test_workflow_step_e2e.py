"""End to end: Workflow Builder's "Give a badge" step. Signed ``function_executed`` events
reach the running app; the fake Slack records the step's completions, the emulator the
awards."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.emulator import Fault
from tests.harness import FAST_OUTBOX, BotHarness, new_awards, signed_headers
from tests.waiting import wait_until
from tests.workflow_steps import STEP_TOKEN, step_body

TEAM_PLAYER = "64c000000000000000000001"
LIAM_Q = "64a000000000000000000004"
MARIA_Q = "64a000000000000000000001"


def run_step(bot: BotHarness, body: dict[str, Any]) -> httpx.Response:
    """Post one signed delivery of the step, checking that it is acked in time."""
    raw = json.dumps(body)
    headers = {**signed_headers(raw), "Content-Type": "application/json"}
    started = time.monotonic()
    response = bot.http.post(bot.url, content=raw, headers=headers)
    assert response.status_code == 200
    assert time.monotonic() - started < 3.0  # Slack's deadline for the ack
    return response


def give_inputs(
    giver: str = "UAMARA", recipients: list[str] | None = None, badge: str = "Team Player"
) -> dict[str, Any]:
    return {
        "giver": giver,
        "recipients": recipients or ["ULIAM"],
        "badge": badge,
        "comment": "thanks for the onboarding buddy week",
    }


def completions(bot: BotHarness) -> list[tuple[str, dict[str, Any]]]:
    """Every completion of a step so far, success or error, with its arguments."""
    ends = ("functions.completeSuccess", "functions.completeError")
    return [(c.method, c.args) for c in bot.slack.calls if c.method in ends]


def the_error(bot: BotHarness, execution_id: str) -> str:
    """The one completion of ``execution_id``, which must be an error: its text."""
    [error] = bot.slack.wait_calls("functions.completeError")
    assert error["function_execution_id"] == execution_id
    bot.wait_idle()
    assert [m for m, _ in completions(bot)] == ["functions.completeError"]
    return str(error["error"])


def test_an_approver_gives_and_the_step_completes_with_the_made_award(bot: BotHarness) -> None:
    run_step(bot, step_body(give_inputs(giver="UMARIA"), "Fx1"))
    [done] = bot.slack.wait_calls("functions.completeSuccess")
    [award] = new_awards(bot.emulator)
    assert award["status"] == "approved"
    assert award["badgeId"] == TEAM_PLAYER and award["assigneeIds"] == [LIAM_Q]
    assert award["assignedById"] == MARIA_Q
    assert award["comment"] == "thanks for the onboarding buddy week"
    assert done["function_execution_id"] == "Fx1"
    outputs = done["outputs"]
    outputs = json.loads(outputs) if isinstance(outputs, str) else outputs
    assert outputs == {"status": "made", "assignment_id": award["id"]}
    assert bot.slack.tokens_of("functions.completeSuccess") == [STEP_TOKEN]
    # The award's own message went out as for any give: the recipient's DM.
    bot.slack.wait_calls("chat.postMessage", where=lambda c: c["channel"] == "DULIAM")


def test_a_give_that_needs_approval_completes_as_pending(bot: BotHarness) -> None:
    run_step(bot, step_body(give_inputs(giver="UAMARA"), "Fx2"))
    [done] = bot.slack.wait_calls("functions.completeSuccess")
    [award] = new_awards(bot.emulator)
    assert award["status"] == "pending"
    outputs = done["outputs"]
    outputs = json.loads(outputs) if isinstance(outputs, str) else outputs
    assert outputs == {"status": "pending", "assignment_id": award["id"]}
    # The approvers were asked, as after `/badge give`.
    requests = bot.slack.wait_calls("chat.postMessage", count=2)
    assert {r["channel"] for r in requests} == {"DUMARIA", "DUOLIVER"}
    bot.wait_idle()
    assert [m for m, _ in completions(bot)] == ["functions.completeSuccess"]


def test_an_unknown_badge_ends_the_step_with_the_near_names(bot: BotHarness) -> None:
    run_step(bot, step_body(give_inputs(badge="Visionry"), "Fx3"))
    text = the_error(bot, "Fx3")
    assert text.startswith("I don't know a badge called “Visionry”.")
    assert "Did you mean Visionary?" in text  # plain text: Workflow Builder shows no mrkdwn
    assert "*" not in text
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_a_person_unknown_to_quantive_ends_the_step_and_nothing_is_given(
    bot: BotHarness,
) -> None:
    run_step(bot, step_body(give_inputs(recipients=["ULIAM", "UGHOST"]), "Fx4"))
    text = the_error(bot, "Fx4")
    assert text.startswith("Nothing was awarded: I couldn't find everyone in Quantive.")
    assert "ghost@elsewhere.example" in text
    assert bot.emulator.calls.count("POST /badges/assign") == 0


@pytest.fixture
def limited_bot(emulator, slack, database_url) -> Iterator[BotHarness]:
    harness = BotHarness(emulator, slack, database_url, badge_give_limit="1/week").start()
    yield harness
    harness.stop()


def test_a_giver_over_the_limit_ends_the_step_with_the_limit(limited_bot: BotHarness) -> None:
    bot = limited_bot
    run_step(bot, step_body(give_inputs(recipients=["ULIAM"]), "Fx5"))
    bot.slack.wait_calls("functions.completeSuccess")
    run_step(bot, step_body(give_inputs(recipients=["UNOAH"]), "Fx6"))
    [error] = bot.slack.wait_calls("functions.completeError")
    assert error["function_execution_id"] == "Fx6"
    assert "Nothing was awarded" in error["error"] and "1 per week" in error["error"]
    assert len(new_awards(bot.emulator)) == 1
    assert bot.emulator.calls.count("POST /badges/assign") == 1


def test_a_retried_execution_gives_once_and_completes_once(bot: BotHarness) -> None:
    body = step_body(give_inputs(giver="UAMARA"), "Fx7", event_id="Ev7")
    run_step(bot, body)
    run_step(bot, body)  # an Events API retry: the same event id
    run_step(bot, {**body, "event_id": "Ev7-again"})  # a redelivery of the same execution
    bot.slack.wait_calls("functions.completeSuccess")
    bot.wait_idle()
    assert len(new_awards(bot.emulator)) == 1
    assert bot.emulator.calls.count("POST /badges/assign") == 1
    assert [m for m, _ in completions(bot)] == ["functions.completeSuccess"]
    # A new execution of the same workflow is a new give.
    run_step(bot, step_body(give_inputs(giver="UAMARA"), "Fx8"))
    bot.slack.wait_calls("functions.completeSuccess", count=2)
    assert len(new_awards(bot.emulator)) == 2


def test_missing_inputs_end_the_step_with_what_is_missing(bot: BotHarness) -> None:
    run_step(bot, step_body({"giver": "UAMARA", "recipients": [], "badge": "Mentor"}, "Fx9"))
    assert the_error(bot, "Fx9") == "The step needs at least one recipient."
    assert bot.emulator.calls.count("POST /badges/assign") == 0


def test_a_quantive_outage_ends_the_step_as_queued_and_the_award_is_made_once(
    emulator, slack, database_url
) -> None:
    bot = BotHarness(emulator, slack, database_url, **FAST_OUTBOX).start()
    try:
        emulator.faults.set("POST /badges/assign", Fault(status=503))
        run_step(bot, step_body(give_inputs(giver="UAMARA"), "Fx10"))
        text = the_error(bot, "Fx10")
        assert "queued" in text and "made once" in text
        assert "Don't run the workflow again" in text
        assert new_awards(emulator) == []
        emulator.faults.clear()  # Quantive is back: the outbox makes it, once
        wait_until(lambda: len(new_awards(emulator)) == 1, timeout=15)
        slack.wait_calls("chat.postMessage", count=2, timeout=15)  # the approval requests
        assert len(new_awards(emulator)) == 1
        assert [m for m, _ in completions(bot)] == ["functions.completeError"]
    finally:
        bot.stop()
