"""The retry policy's arithmetic, and the background worker's resilience."""

from __future__ import annotations

import asyncio

from api.retry import RetryPolicy, parse_retry_after
from bot.worker import Worker


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=4.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (8, 4.0)]:
        waits = {policy.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jitter


def test_retry_after_is_honoured_within_a_limit() -> None:
    policy = RetryPolicy(max_retry_after=10)
    assert policy.wait_for_retry_after(3, 0) == 3
    assert policy.wait_for_retry_after(30, 0) is None
    assert parse_retry_after("2") == 2 and parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_worker_survives_a_failing_job_and_wakes_on_demand() -> None:
    ran: list[str] = []
    second_round = asyncio.Event()

    async def broken() -> None:
        ran.append("broken")
        raise RuntimeError("boom")

    async def fine() -> None:
        ran.append("fine")
        if ran.count("fine") == 2:
            second_round.set()

    worker = Worker([broken, fine], interval=3600)
    worker.start()
    worker.wake()  # the next round comes now, not in an hour
    await asyncio.wait_for(second_round.wait(), 5)
    await worker.stop()
    assert ran[:4] == ["broken", "fine", "broken", "fine"]


async def test_the_shared_retrying_takes_any_predicate_and_honours_retry_after() -> None:
    from api.retry import retrying

    class Busy(Exception):
        retry_after = 0.05

    tries: list[float] = []

    async def flaky() -> str:
        tries.append(asyncio.get_running_loop().time())
        if len(tries) < 3:
            raise Busy()
        return "done"

    policy = RetryPolicy(max_retries=2, backoff_base=0.01)
    assert await retrying(policy, lambda exc: isinstance(exc, Busy))(flaky) == "done"
    assert len(tries) == 3 and tries[1] - tries[0] >= 0.05  # the Retry-After, not backoff

    tries.clear()
    try:
        await retrying(policy, lambda exc: False)(flaky)
    except Busy:
        pass  # the last failure comes back as it is, never wrapped
    assert len(tries) == 1
