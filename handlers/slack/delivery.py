"""Slack posts that are never dropped: a call that fails for a passing reason (429 beyond
the client's own retries, 5xx, a timeout) is kept in the chat outbox (bot.outbox) and
retried by the worker; this is the outbox's sender for Slack.

Every post carries message metadata naming its idempotency key, so that a post whose
answer was lost (Slack made it, the answer came after the client's timeout) is found in
the channel's history rather than posted twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox import Failure, Lookup, Outbox, with_key
from bot.store import Store
from handlers.slack.block_limits import fit_blocks, fit_fallback

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"}
)
#: Slack refused the rich message itself: the same news goes out as plain text instead.
REFUSED_BLOCKS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long"})
#: The metadata ``event_type`` of every message the bot posts; its ``event_payload`` has
#: the idempotency key (and the award's id, when there is one).
EVENT_TYPE = "badgebot_award"
#: Pages of history read when looking for a post whose answer was lost.
HISTORY_PAGES = 5
#: Slack's clock and ours may differ a little: the look starts this much earlier.
CLOCK_SLACK = 60.0
#: An operation: {"kind": "post" | "update" | "dm" | "ephemeral", "key": ..., ...}.
Operation = dict[str, Any]


def is_transient(exc: BaseException) -> bool:
    """Whether a failed Slack call may succeed later."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500 or exc.response.get("error") in TRANSIENT_ERRORS
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError)


def is_unanswered(exc: BaseException) -> bool:
    """Whether the call got no answer, so Slack may have done it (a refused connection
    is certain: the request never arrived)."""
    return isinstance(exc, asyncio.TimeoutError) or (
        isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError)
    )


class SlackDelivery:
    """Performs Slack operations, keeping the ones that fail for a passing reason in the
    outbox; the outbox's sender for ``slack``."""

    def __init__(self, client: AsyncWebClient, store: Store, outbox: Outbox) -> None:
        self.client = client
        self._store = store
        self._outbox = outbox
        outbox.register("slack", self)

    async def perform(self, operation: Operation) -> dict[str, Any] | None:
        """Do it now; on a passing failure keep it for later and return None."""
        operation = with_key(operation)
        started = time.time()
        try:
            return await self._execute(operation)
        except Exception as exc:
            if not is_transient(exc):
                raise
            await self._outbox.keep("slack", operation, self.failure(exc), started)
            return None

    async def send(self, operation: Operation) -> Any:
        """One try of a queued operation (the outbox's retry)."""
        return await self._execute(operation)

    def failure(self, exc: Exception) -> Failure:
        """A failed call, read for the outbox."""
        return Failure(describe_error(exc), is_transient(exc), is_unanswered(exc))

    async def find(self, operation: Operation, since: float) -> Lookup:
        """Look for the message of an operation whose answer was lost, by the key in its
        metadata, in the history of its channel since ``since``."""
        kind = operation["kind"]
        if kind == "update":
            return Lookup.ABSENT  # the same update again changes nothing: safe to repeat
        if kind not in ("post", "dm"):
            return Lookup.UNKNOWN  # an ephemeral message is in no history
        channel = operation.get("channel")
        if kind == "dm":
            channel = (await self.client.conversations_open(users=operation["user"]))["channel"][
                "id"
            ]
        try:
            message = await self._history_message(str(channel), operation["key"], since)
        except SlackApiError as exc:
            if is_transient(exc):
                raise
            # No right to read there (missing_scope, not_in_channel): Slack cannot say.
            log.warning("cannot look in slack history: %s", describe_error(exc))
            return Lookup.UNKNOWN
        if message is None:
            return Lookup.ABSENT
        record = operation.get("record")
        if record:
            await self._store.add_message(
                record["assignment_id"], str(channel), message["ts"], record["kind"]
            )
        return Lookup.FOUND

    async def _history_message(self, channel: str, key: str, since: float) -> Any:
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = await self.client.conversations_history(
                channel=channel,
                oldest=f"{since - CLOCK_SLACK:.6f}",
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                    return message
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

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
                channel=op["channel"],
                text=fit_fallback(op["text"]),
                blocks=op.get("blocks"),
                metadata=message_metadata(op),
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
                        "key": op.get("key"),
                        "user": op["user"],
                        "text": op["text"],
                        "blocks": op.get("blocks"),
                    }
                )
        raise ValueError(f"unknown Slack operation {kind!r}")


def message_metadata(op: Operation) -> dict[str, Any] | None:
    """The metadata that lets the outbox find a post again: its key and its award."""
    if not op.get("key"):
        return None
    payload = {"key": op["key"]}
    award = op.get("award") or (op.get("record") or {}).get("assignment_id")
    if award:
        payload["assignment_id"] = award
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def describe_error(exc: BaseException) -> str:
    """A failed call in one short line, with no payload, token or user text."""
    if isinstance(exc, SlackApiError):
        return f"{getattr(exc.response, 'status_code', '?')} {exc.response.get('error')}"
    return type(exc).__name__
