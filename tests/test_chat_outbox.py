"""The one chat outbox (issue 20, issue 21 item 4): a Teams post that still fails after its
in-call retries is delivered by the worker, once; a post whose answer was lost is looked
for, or given up as uncertain with a log line, and never posted twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from api.emulator import DEFAULT_TOKEN, Emulator
from bot.in_flight import InFlight
from bot.outbox import Outbox
from bot.recovery import core_jobs
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.worker import Worker
from handlers.slack.delivery import EVENT_TYPE, SlackDelivery
from handlers.teams.app import teams_context
from handlers.teams.cards import text_message
from handlers.teams.token import ConnectorToken
from tests.fake_slack import FakeSlack
from tests.fake_teams import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams
from tests.harness import BOT_TOKEN, quick_slack_retries

#: The client's deadline in these tests, and how long the fakes take past it.
TIMEOUT = 0.3
LATE = 1.0
SETTLE = 0.2


class Rounds:
    """The last job of a test's worker: marks the end of each round, so a test waits on
    that event (within 10 s) instead of sleeping."""

    def __init__(self) -> None:
        self._done = asyncio.Event()

    async def __call__(self) -> None:
        """Mark a round done."""
        self._done.set()

    async def until(self, condition: Callable[[], Awaitable[bool]]) -> None:
        """Return once ``condition()`` holds after a round; fail after 10 s."""
        async with asyncio.timeout(10):
            while not await condition():
                self._done.clear()
                await self._done.wait()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    yield store
    await store.aclose()


@pytest.fixture
async def slack_delivery(
    slack: FakeSlack, store: Store
) -> AsyncIterator[tuple[SlackDelivery, Rounds]]:
    """Slack posts through the outbox with a short deadline, and a quick worker."""
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=f"{slack.url}/api/",
        timeout=TIMEOUT,  # type: ignore[arg-type]
        retry_handlers=quick_slack_retries(),
    )
    outbox = Outbox(store, retry_base=0.05, retry_cap=0.1, settle_seconds=SETTLE)
    rounds = Rounds()
    worker = Worker([outbox.retry_due, rounds], interval=0.05)
    worker.start()
    yield SlackDelivery(client, store, outbox), rounds
    await worker.stop()


def celebration(key: str) -> dict[str, Any]:
    return {
        "kind": "post",
        "channel": "CGENERAL",
        "text": "Maria got Visionary!",
        "key": key,
        "award": "64d0000000000000000000aa",
    }


async def test_a_slack_post_answered_after_the_timeout_is_found_not_posted_again(
    slack: FakeSlack, store: Store, slack_delivery: tuple[SlackDelivery, Rounds]
) -> None:
    """Issue 21 item 4: Slack made the post, its answer came after the client's deadline
    (a 10 s timeout, an 11 s answer, here shortened); one celebration, not two."""
    delivery, rounds = slack_delivery
    slack.answer_late("chat.postMessage", LATE)
    assert await delivery.perform(celebration("celebration:aa:CGENERAL")) is None
    assert await store.chat_queue_length("slack") == 1

    await rounds.until(lambda: _state_is(store, "slack", "celebration:aa:CGENERAL", "done"))
    [posted] = slack.calls_of("chat.postMessage")
    assert posted["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "key": "celebration:aa:CGENERAL",
            "assignment_id": "64d0000000000000000000aa",
        },
    }
    [looked] = slack.calls_of("conversations.history")
    assert looked["channel"] == "CGENERAL" and looked["include_all_metadata"] in ("1", "true")
    assert await store.chat_queue_length() == 0


async def test_a_slack_post_lost_before_slack_made_it_is_sent_again_once(
    slack: FakeSlack, store: Store, slack_delivery: tuple[SlackDelivery, Rounds]
) -> None:
    """No answer, and history shows no such message: it is certainly not there, so it
    is sent again, once."""
    delivery, rounds = slack_delivery
    slack.answer_late("chat.postMessage", LATE, made=False)
    await delivery.perform(celebration("celebration:bb:CGENERAL"))

    await rounds.until(lambda: _state_is(store, "slack", "celebration:bb:CGENERAL", "done"))
    assert len(slack.calls_of("chat.postMessage:lost")) == 1
    assert len(slack.calls_of("chat.postMessage")) == 1
    assert len(slack.calls_of("conversations.history")) == 1


async def test_a_slack_ephemeral_whose_answer_was_lost_is_given_up_with_one_log_line(
    slack: FakeSlack,
    store: Store,
    slack_delivery: tuple[SlackDelivery, Rounds],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An ephemeral message is in no history: it cannot be looked for, so it is given up
    as uncertain, logged in one line without its text."""
    delivery, rounds = slack_delivery
    slack.answer_late("chat.postEphemeral", LATE)
    operation = {"kind": "ephemeral", "channel": "C1", "user": "UAMARA", "text": "secret words"}
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        await delivery.perform({**operation, "key": "receipt-1"})
        await rounds.until(lambda: _state_is(store, "slack", "receipt-1", "uncertain"))
    assert len(slack.calls_of("chat.postEphemeral")) == 1
    [line] = [r.getMessage() for r in caplog.records if "uncertain" in r.getMessage()]
    assert "receipt-1" in line and "secret words" not in line


def teams_settings(emulator: Emulator, teams: FakeTeams, database_url: str) -> Settings:
    """A Teams-only process against the fakes, with quick in-call retries and outbox."""
    return Settings(
        **teams.settings(),
        quantive_api_url=emulator.url,  # type: ignore[attr-defined]
        quantive_api_token=DEFAULT_TOKEN,
        quantive_account_id=emulator.account_id,
        database_url=database_url,
        teams_retry_base=0.01,
        teams_timeout=TIMEOUT,
        outbox_retry_base=0.05,
        outbox_retry_cap=0.1,
        outbox_settle_seconds=SETTLE,
    )


@pytest.fixture
async def teams_services(
    emulator: Emulator, teams: FakeTeams, database_url: str
) -> AsyncIterator[tuple[Any, Services]]:
    """The Teams helpers on real services, as the web process builds them."""
    settings = teams_settings(emulator, teams, database_url)
    services = Services.create(settings)
    token = ConnectorToken(settings.teams_login_url, TENANT_ID, APP_ID, APP_PASSWORD)
    ctx = teams_context(settings, services, token, InFlight())
    yield ctx, services
    await ctx.connector.aclose()
    await services.aclose()


async def test_a_teams_post_that_failed_three_times_is_delivered_once_by_the_worker(
    teams: FakeTeams, teams_services: tuple[Any, Services]
) -> None:
    """Issue 20: the connector refuses all three in-call tries; the notice is kept, and
    once the connector recovers the web process's worker (the core's jobs) delivers it,
    exactly once."""
    ctx, services = teams_services
    store = services.store
    teams.fail_next(3, status=503)
    message = text_message("You got Visionary!")
    assert await ctx.notifier.dm("29:amara", message, key="notice:aa:29:amara") == ""
    assert teams.refused == 3 and teams.sent() == []
    assert await store.chat_queue_length("teams") == 1

    rounds = Rounds()
    worker = Worker([*core_jobs(services), rounds], interval=0.05)
    worker.start()
    try:
        await rounds.until(lambda: _state_is(store, "teams", "notice:aa:29:amara", "done"))
        later = worker.rounds + 2
        await rounds.until(lambda: _true(worker.rounds >= later))  # they send nothing more
    finally:
        await worker.stop()
    [sent] = teams.sent()
    assert sent["conversation"] == "a:amara" and sent["text"] == message["text"]
    assert teams.refused == 3 and await store.chat_queue_length() == 0


async def test_a_teams_post_whose_answer_was_lost_is_given_up_as_uncertain(
    teams: FakeTeams, teams_services: tuple[Any, Services], caplog: pytest.LogCaptureFixture
) -> None:
    """The Bot Connector cannot be asked what was sent: a send that outlived the deadline
    is neither repeated in the call nor by the worker, and is logged as uncertain."""
    ctx, services = teams_services
    teams.latency = LATE
    rounds = Rounds()
    worker = Worker([services.outbox.retry_due, rounds], interval=0.05)
    worker.start()
    try:
        with caplog.at_level(logging.INFO, logger="bot.outbox"):
            await ctx.notifier.dm("29:amara", text_message("hello"), key="notice:cc:29:amara")
            await rounds.until(
                lambda: _state_is(services.store, "teams", "notice:cc:29:amara", "uncertain")
            )
        await rounds.until(lambda: _true(len(teams.sent()) == 1))  # the late one arrived
    finally:
        await worker.stop()
    assert len(teams.sent()) == 1
    assert any("uncertain" in r.getMessage() for r in caplog.records)


async def _state_is(store: Store, platform: str, key: str, state: str) -> bool:
    return await store.chat_post_state(platform, key) == state


async def _true(value: bool) -> bool:
    return value
