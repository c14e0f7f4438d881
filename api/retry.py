"""When and how long a failed call waits before it is repeated, as one tenacity policy.

:class:`RetryPolicy` holds the numbers (how many repeats, how long a backoff, the longest
Retry-After honoured) and builds a ``tenacity.AsyncRetrying`` from them. What may be
repeated is the caller's predicate: :func:`retrying` takes any, so other clients (the
Teams connector, the Slack delivery) can share the waits while keeping their own rules;
:meth:`RetryPolicy.for_request` is Quantive's rule, under which a request that is not
safe to repeat (a POST) is sent again only when it certainly did not reach Quantive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random_exponential,
)
from tenacity.wait import wait_base

#: Status codes worth repeating a safe request for: the server or a proxy was briefly unwell.
RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 502, 503, 504})


class Transient(Exception):
    """A failed try that repeating may fix.

    ``error`` is what the caller gets when the try is not repeated. ``reached`` says the
    request may have been handled (it was sent and no refusal came back), so only a
    request that is safe to repeat may go again. ``retry_after`` is the pause the server
    asked for, in seconds. ``note`` is logged when this is the last try.
    """

    def __init__(
        self,
        error: Exception,
        *,
        reached: bool,
        retry_after: float | None = None,
        note: str | None = None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.reached = reached
        self.retry_after = retry_after
        self.note = note


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, and how long a Retry-After may be."""

    max_retries: int = 3
    backoff_base: float = 0.25
    backoff_cap: float = 4.0
    #: A Retry-After longer than this is not waited for: the caller gets RateLimited at once.
    max_retry_after: float = 10.0

    def backoff_wait(self) -> wait_base:
        """The backoff as a tenacity wait: before repeat ``n`` (0-based) it is uniform in
        ``[c/2, c]`` with ``c = min(cap, base * 2**n)``. Half is fixed and half random
        ("equal jitter") so that clients spread out, yet none comes back at once."""
        half_base, half_cap = self.backoff_base / 2, self.backoff_cap / 2
        return wait_exponential(multiplier=half_base, max=half_cap) + wait_random_exponential(
            multiplier=half_base, max=half_cap
        )

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        state = RetryCallState(AsyncRetrying(), fn=None, args=(), kwargs={})
        state.attempt_number = attempt + 1  # tenacity counts tries from 1
        return self.backoff_wait()(state)

    def wait_for_retry_after(self, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait after a 429, or None when the server asked for too long a pause."""
        if retry_after is None:
            return self.backoff(attempt)
        if retry_after > self.max_retry_after:
            return None
        return max(retry_after, 0.0)

    def wait(self) -> wait_base:
        """The tenacity wait: the failure's ``retry_after`` when it has one (capped at
        ``max_retry_after``), else the backoff."""
        return _WaitRetryAfter(self)

    def for_request(self, *, idempotent: bool) -> AsyncRetrying:
        """Quantive's retrying for one request: a :class:`Transient` failure is repeated,
        unless it may have reached Quantive and the request is not ``idempotent``, or the
        server asked for a pause longer than ``max_retry_after``."""

        def may_repeat(exc: BaseException) -> bool:
            if not isinstance(exc, Transient):
                return False
            if exc.reached and not idempotent:
                return False  # repeating an assign that arrived could double the award
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after

        return retrying(self, may_repeat)


def retrying(policy: RetryPolicy, may_repeat: Callable[[BaseException], bool]) -> AsyncRetrying:
    """A ``tenacity.AsyncRetrying`` that repeats a call up to ``policy.max_retries``
    times while it raises an exception ``may_repeat`` accepts, waiting as
    :meth:`RetryPolicy.wait` says; the last exception is raised as it is.

    Use it as ``await retrying(policy, pred)(fn, *args)``, or ``async for attempt in ...``.
    Build one per call: an ``AsyncRetrying`` keeps the state of the call it runs.
    """
    return AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=policy.wait(),
        retry=retry_if_exception(may_repeat),
        reraise=True,
    )


class _WaitRetryAfter(wait_base):
    """Wait what the failure's ``retry_after`` asks (at most the policy's limit), else
    back off."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._backoff = policy.backoff_wait()

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None and outcome.failed else None
        hint = getattr(failure, "retry_after", None)
        if isinstance(hint, int | float):
            return min(max(float(hint), 0.0), self._policy.max_retry_after)
        return self._backoff(retry_state)


def parse_retry_after(value: str | None) -> float | None:
    """The Retry-After header in seconds; the HTTP-date form is rare here and read as None."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
