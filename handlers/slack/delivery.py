"""Slack posts that are never dropped: a call that fails for a passing reason (429 beyond
the client's own retries, 5xx, a timeout) is kept in the database and retried."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Store
from handlers.slack.block_limits import fit_blocks, fit_fallback

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"}
)
#: Slack refused the rich message itself: the same news goes out as plain text instead.
REFUSED_BLOCKS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long"})
#: How long one worker holds a queued call before another may take it over.
LEASE_SECONDS = 60.0
#: An operation: {"kind": "post" | "update" | "dm" | "ephemeral", ...its arguments}.
Operation = dict[str, Any]


def is_transient(exc: BaseException) -> bool:
    """Whether a failed Slack call may succeed later."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500 or exc.response.get("error") in TRANSIENT_ERRORS
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError)


class SlackDelivery:
    """Performs Slack operations, queueing the ones that fail for a passing reason."""

    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        *,
        retry_base: float = 2.0,
        retry_cap: float = 300.0,
    ) -> None:
        self.client = client
        self._store = store
        self._retry_base = retry_base
        self._retry_cap = retry_cap

    async def perform(self, operation: Operation) -> dict[str, Any] | None:
        """Do it now; on a passing failure keep it for later and return None."""
        try:
            return await self._execute(operation)
        except Exception as exc:
            if not is_transient(exc):
                raise
            await self._store.enqueue_slack(operation, self._retry_base, describe_error(exc))
            log.warning("slack %s queued for retry: %s", operation["kind"], describe_error(exc))
            return None

    async def retry_due(self) -> None:
        """Retry every queued operation that is due and that no other worker holds."""
        for queued in await self._store.due_slack(time.time()):
            if not await self._store.lease_slack(queued.id, LEASE_SECONDS):
                continue
            try:
                await self._execute(queued.operation)
            except Exception as exc:
                if is_transient(exc):
                    delay = min(self._retry_cap, self._retry_base * 2**queued.attempts)
                    await self._store.retry_slack_later(queued.id, delay, describe_error(exc))
                    continue
                log.error(
                    "slack %s dropped after a permanent error: %s",
                    queued.operation["kind"],
                    describe_error(exc),
                )
            await self._store.drop_slack(queued.id)

    async def _execute(self, op: Operation) -> dict[str, Any]:
        kind = op["kind"]
        if kind in ("post", "update") and op.get("blocks"):
            try:
                return await self._execute_once({**op, "blocks": fit_blocks(op["blocks"])})
            except SlackApiError as exc:
                if exc.response.get("error") not in REFUSED_BLOCKS:
                    raise
                log.warning(
                    "slack refused the blocks (%s); sending plain text", describe_error(exc)
                )
                return await self._execute_once({**op, "blocks": None})
        return await self._execute_once(op)

    async def _execute_once(self, op: Operation) -> dict[str, Any]:
        kind = op["kind"]
        if kind == "post":
            response = await self.client.chat_postMessage(
                channel=op["channel"], text=fit_fallback(op["text"]), blocks=op.get("blocks")
            )
            record = op.get("record")
            if record:
                await self._store.add_message(
                    record["assignment_id"], response["channel"], response["ts"], record["kind"]
                )
            return response.data  # type: ignore[return-value]
        if kind == "update":
            response = await self.client.chat_update(
                channel=op["channel"],
                ts=op["ts"],
                text=fit_fallback(op["text"]),
                blocks=op.get("blocks") or [],
            )
            return response.data  # type: ignore[return-value]
        if kind == "dm":
            opened = await self.client.conversations_open(users=op["user"])
            channel = opened["channel"]["id"]
            return await self._execute({**op, "kind": "post", "channel": channel})
        if kind == "ephemeral":
            try:
                response = await self.client.chat_postEphemeral(
                    channel=op["channel"],
                    user=op["user"],
                    text=fit_fallback(op["text"]),
                    blocks=op.get("blocks") or None,
                )
                return response.data  # type: ignore[return-value]
            except SlackApiError as exc:
                if is_transient(exc):
                    raise
                # Not in that channel (or a modal without one): a DM reaches them anyway.
                return await self._execute(
                    {
                        "kind": "dm",
                        "user": op["user"],
                        "text": op["text"],
                        "blocks": op.get("blocks"),
                    }
                )
        raise ValueError(f"unknown Slack operation {kind!r}")


def describe_error(exc: BaseException) -> str:
    """A failed call in one short line, with no payload, token or user text."""
    if isinstance(exc, SlackApiError):
        return f"{getattr(exc.response, 'status_code', '?')} {exc.response.get('error')}"
    return type(exc).__name__
