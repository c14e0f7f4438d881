"""The database goes away under a running app (issue 21, item 9): PostgreSQL is stopped and
started again on its own data, and every Slack request is answered in time meanwhile.

The module stops the session's PostgreSQL server (this worker's, under xdist): a module's
tests run one after another, each resumes the server before it ends, and what the session
keeps there (a database URL, no connection) survives a stop, so no other test sees the
outage. A server of the module's own cost an initdb and a start per run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.store import Store, migrate
from tests.harness import FAST_OUTBOX, BotHarness, new_awards
from tests.postgres import PostgresServer

#: Slack shows an error when a request is not answered within three seconds.
SLACK_DEADLINE = 3.0


@pytest.fixture(scope="module")
def outage_postgres(postgres: PostgresServer) -> Iterator[tuple[PostgresServer, str]]:
    """The session's server, and a database of this module's at the current schema on it;
    the server is running again after the module whatever its tests did."""
    url = postgres.create_database("outage")
    asyncio.run(migrate(url))
    try:
        yield postgres, url
    finally:
        if not postgres._running:
            postgres.resume()


def answer_text(response) -> str:
    """What Slack shows the person from the HTTP answer itself ("" for an empty ack)."""
    if not response.content:
        return ""
    try:
        body = json.loads(response.content)
    except ValueError:
        return response.text
    return str(body.get("text", "")) + json.dumps(body.get("errors", {}))


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_slack_is_answered_through_an_outage_and_served_again_after(
    emulator, slack, outage_postgres, caplog
) -> None:
    server, url = outage_postgres
    caplog.set_level(logging.INFO)
    bot = BotHarness(emulator, slack, url, **FAST_OUTBOX).start()
    try:
        bot.command("give <@ULIAM|liam> Team Player before", response_key="before")
        slack.wait_calls("response_url", where=lambda r: r["_key"] == "before")
        [pending] = [a for a in new_awards(emulator) if a["comment"] == "before"]

        server.pause()
        for words in ["give <@ULIAM|liam> Team Player during the outage", "mine", "help"]:
            response, took = timed(lambda w=words: bot.command(w, response_key="down"))
            assert response.status_code == 200 and took < SLACK_DEADLINE
            assert "try again in a minute" in answer_text(response)
        # A click is answered too, and the approver told through the response URL.
        response, took = timed(
            lambda: bot.click("approve_award", pending["id"], "UMARIA", response_key="click")
        )
        assert response.status_code == 200 and took < SLACK_DEADLINE
        [told] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "click")
        assert "try again in a minute" in told["text"]
        assert emulator.state.assignments[pending["id"]]["status"] == "pending"

        server.resume()
        # It serves again by itself: the first request after the outage goes through.
        response, took = timed(
            lambda: bot.command("give <@ULIAM|liam> Team Player after", response_key="after")
        )
        assert response.status_code == 200 and took < SLACK_DEADLINE
        assert "try again" not in answer_text(response)
        [after] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "after")
        assert "Sent for approval" in after["text"]
        bot.wait_idle()
    finally:
        if not server._running:
            server.resume()
        bot.stop()
    # Nothing said during the outage was made, later or twice.
    assert sorted(a["comment"] for a in new_awards(emulator)) == ["after", "before"]
    assert emulator.calls.count("POST /badges/approve/{id}") == 0
    # The comment never reached a log line (the failing statements carry no parameters).
    assert "during the outage" not in caplog.text


async def test_database_errors_name_no_sql_parameters(outage_postgres) -> None:
    _, url = outage_postgres
    store = Store(url)
    try:
        async with store.connect() as conn:
            with pytest.raises(SQLAlchemyError) as failed:
                # Division by zero, with an email among its parameters.
                await conn.execute(
                    text("SELECT 1 / 0 WHERE :email <> ''"), {"email": "amara@example.com"}
                )
    finally:
        await store.aclose()
    assert "division by zero" in str(failed.value)
    assert "amara@example.com" not in str(failed.value)


def test_a_quick_restart_costs_no_request(emulator, slack, outage_postgres) -> None:
    server, url = outage_postgres
    # A worker that sleeps through the restart: nothing notices the closed connections
    # until the next request takes one from the pool.
    bot = BotHarness(emulator, slack, url, outbox_poll_seconds=60.0).start()
    try:
        bot.command("give <@ULIAM|liam> Team Player warm", response_key="warm")
        slack.wait_calls("response_url", where=lambda r: r["_key"] == "warm")
        bot.wait_idle()
        server.pause()
        server.resume()
        response = bot.command("give <@ULIAM|liam> Team Player again", response_key="again")
        assert "try again" not in answer_text(response)
        [again] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "again")
        assert "Sent for approval" in again["text"]
        bot.wait_idle()
    finally:
        if not server._running:
            server.resume()
        bot.stop()


def test_a_running_serve_answers_through_an_outage_and_serves_again(
    emulator, slack, outage_postgres
) -> None:
    """The same outage under a real `python -m bot serve`: its requests are answered in time
    with what to do, and the process serves again by itself once PostgreSQL is back."""
    from tests.harness import signed_headers
    from tests.processes import BotProcess
    from tests.waiting import wait_until

    server, url = outage_postgres
    bot = BotProcess(emulator, slack, url)
    bot.start()

    def command(words: str):
        body = BotProcess.command_body(words, "UAMARA")
        return timed(
            lambda: httpx.post(
                bot.url + "/slack/events", content=body, headers=signed_headers(body), timeout=10
            )
        )

    try:
        server.pause()
        response, took = command("give <@ULIAM|liam> Team Player while serve is cut off")
        assert response.status_code == 200 and took < SLACK_DEADLINE
        assert "try again in a minute" in answer_text(response)
        server.resume()
        response, took = command("give <@ULIAM|liam> Team Player once serve is back")
        assert response.status_code == 200 and took < SLACK_DEADLINE
        assert "try again" not in answer_text(response)
        wait_until(lambda: any(a["comment"] == "once serve is back" for a in new_awards(emulator)))
        bot.wait_idle()
    finally:
        if not server._running:
            server.resume()
        bot.stop()
    comments = [a["comment"] for a in new_awards(emulator)]
    assert "while serve is cut off" not in comments and comments.count("once serve is back") == 1
