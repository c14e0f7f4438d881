"""One chat outbox for every platform: a post that fails for a passing reason is kept in
``chat_outbox`` and retried by the worker's one job, under the same leases, whichever
platform it is for.

Each front end registers a :class:`ChatSender` for its platform's operations (opaque
JSON here). A post whose answer never came (a timeout) may have been made: it is not
simply sent again. Once ``settle_seconds`` have passed, the sender looks for it where the
platform allows (Slack: the channel's history, by the idempotency key in the message's
metadata). Found: done. Certainly absent: sent again. Anything else: given up as
uncertain with one log line. So no notice is posted twice, and none is lost unlogged.
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from bot.store import ChatPost, Store

log = logging.getLogger(__name__)

#: How long one worker holds a queued post before another may take it over.
LEASE_SECONDS = 60.0
#: Finished rows are kept this long: their keys keep a late duplicate from being queued.
KEEP_FINISHED_SECONDS = 7 * 24 * 3600.0
#: An operation: {"kind": ..., "key": idempotency key, ...the platform's arguments}.
Operation = dict[str, Any]


class Lookup(enum.Enum):
    """What a look for a post whose answer was lost found."""

    FOUND = "found"  # the platform made it: done
    ABSENT = "absent"  # certainly not made: safe to send again
    UNKNOWN = "unknown"  # the platform cannot say: give it up as uncertain


@dataclass(frozen=True)
class Failure:
    """A failed send, as its platform's sender reads it."""

    #: One short line, with no payload, token or user text.
    reason: str
    #: A passing failure (429, 5xx, no connection, no answer): worth another try.
    transient: bool
    #: No answer came: the platform may have made the post.
    unanswered: bool = False


class ChatSender(Protocol):
    """A platform's side of the outbox."""

    async def send(self, operation: Operation) -> Any:
        """Perform the operation once; raise on failure."""

    def failure(self, exc: Exception) -> Failure:
        """Read a failure of :meth:`send`."""

    async def find(self, operation: Operation, since: float) -> Lookup:
        """Look for the post of ``operation`` (made no earlier than ``since``)."""


def with_key(operation: Operation) -> Operation:
    """The operation with an idempotency key, a new one unless it names its own: the key
    travels with the first try, so that a post whose answer was lost can be found."""
    if operation.get("key"):
        return operation
    return {**operation, "key": uuid.uuid4().hex}


class Outbox:
    """Keeps failed posts and retries them; ``retry_due`` is the worker's job."""

    def __init__(
        self,
        store: Store,
        *,
        retry_base: float = 2.0,
        retry_cap: float = 300.0,
        settle_seconds: float = 10.0,
    ) -> None:
        self._store = store
        self._senders: dict[str, ChatSender] = {}
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._settle = settle_seconds

    def register(self, platform: str, sender: ChatSender) -> None:
        """Send ``platform``'s queued posts through ``sender``."""
        self._senders[platform] = sender

    async def keep(
        self, platform: str, operation: Operation, failure: Failure, started_at: float
    ) -> None:
        """Queue a post whose first try failed for a passing reason. An unanswered one is
        looked for once the platform has settled, not sent again blindly."""
        operation = with_key(operation)
        delay = self._settle if failure.unanswered else self._retry_base
        queued = await self._store.enqueue_chat(
            platform,
            operation["key"],
            operation,
            delay=delay,
            error=failure.reason,
            unanswered=failure.unanswered,
            started_at=started_at,
        )
        verb = "kept to look for" if failure.unanswered else "queued for retry"
        if not queued:
            verb = "already queued"
        log.warning("%s %s %s: %s", platform, operation.get("kind"), verb, failure.reason)

    async def retry_due(self) -> None:
        """Retry (or look for) every due post of a registered platform that no other
        worker holds."""
        if not self._senders:
            return
        for post in await self._store.due_chat(time.time(), list(self._senders)):
            if await self._store.lease_chat(post.id, LEASE_SECONDS):
                await self._retry(post, self._senders[post.platform])
        await self._store.forget_finished_chat(time.time() - KEEP_FINISHED_SECONDS)

    async def _retry(self, post: ChatPost, sender: ChatSender) -> None:
        operation = {**post.operation, "key": post.key}
        kind = operation.get("kind")
        if post.unanswered:
            try:
                found = await sender.find(operation, post.created_at)
            except Exception as exc:
                failure = sender.failure(exc)
                if failure.transient:  # could not look now: look again later
                    await self._later(post, failure, unanswered=True)
                    return
                found = Lookup.UNKNOWN
            if found is Lookup.FOUND:
                log.info("%s %s was made after all (its answer was lost)", post.platform, kind)
                await self._store.finish_chat(post.id, "done")
                return
            if found is Lookup.UNKNOWN:
                log.warning(
                    "%s %s given up as uncertain: no answer came, and it cannot be looked for"
                    " (key %s)",
                    post.platform,
                    kind,
                    post.key,
                )
                await self._store.finish_chat(post.id, "uncertain")
                return
        try:
            await sender.send(operation)
        except Exception as exc:
            failure = sender.failure(exc)
            if failure.transient:
                await self._later(post, failure, unanswered=failure.unanswered)
                return
            log.error(
                "%s %s dropped after a permanent error: %s", post.platform, kind, failure.reason
            )
            await self._store.finish_chat(post.id, "failed", failure.reason)
            return
        await self._store.finish_chat(post.id, "done")

    async def _later(self, post: ChatPost, failure: Failure, *, unanswered: bool) -> None:
        delay = (
            self._settle
            if unanswered
            else min(self._retry_cap, self._retry_base * 2**post.attempts)
        )
        await self._store.retry_chat_later(post.id, delay, failure.reason, unanswered=unanswered)
