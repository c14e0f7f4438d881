"""When and how long the Quantive client waits before repeating a request."""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Status codes worth repeating a safe request for: the server or a proxy was briefly unwell.
RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, for requests that are safe to repeat."""

    max_retries: int = 3
    backoff_base: float = 0.25
    backoff_cap: float = 4.0
    #: A Retry-After longer than this is not waited for: the caller gets RateLimited at once.
    max_retry_after: float = 10.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def wait_for_retry_after(self, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait after a 429, or None when the server asked for too long a pause."""
        if retry_after is None:
            return self.backoff(attempt)
        if retry_after > self.max_retry_after:
            return None
        return max(retry_after, 0.0)


def parse_retry_after(value: str | None) -> float | None:
    """The Retry-After header in seconds; the HTTP-date form is rare here and read as None."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
