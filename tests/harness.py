"""The end-to-end harness: the real app on a loopback port, receiving signed requests,
talking to the fake Slack Web API and to the Quantive emulator over HTTP."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from slack_sdk.signature import SignatureVerifier

from api.emulator import DEFAULT_TOKEN, Emulator
from bot.background_server import BackgroundServer
from bot.settings import Settings
from bot.store import Store
from bot.web import create_web_app
from tests.fake_slack import FakeSlack

T = TypeVar("T")
SIGNING_SECRET = "test-signing-secret-0123456789"
_TRIGGERS = itertools.count(1)


def new_trigger_id() -> str:
    """A trigger_id no other request in this run carries, as Slack gives each invocation."""
    return f"{next(_TRIGGERS)}.{time.time_ns()}.trigger"


def quick_slack_retries() -> list:
    """slack_sdk's retry handlers with millisecond waits, so tests do not sit through backoff."""
    from slack_sdk.http_retry.builtin_async_handlers import (
        AsyncConnectionErrorRetryHandler,
        AsyncRateLimitErrorRetryHandler,
        AsyncServerErrorRetryHandler,
    )
    from slack_sdk.http_retry.builtin_interval_calculators import (
        FixedValueRetryIntervalCalculator,
    )

    quick = FixedValueRetryIntervalCalculator(0.01)
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=quick),
        AsyncRateLimitErrorRetryHandler(max_retry_count=5, interval_calculator=quick),
        AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=quick),
    ]


BOT_TOKEN = "xoxb-test-bot-token-abcdef"
APPROVERS = ["UMARIA", "UOLIVER"]
#: The demo account's own awards: three waiting, two approved.
SEEDED_AWARDS = frozenset(f"64d00000000000000000000{i}" for i in range(1, 6))
#: Outbox and Quantive settings that retry in tenths of a second instead of seconds.
FAST_OUTBOX = {
    "outbox_poll_seconds": 0.1,
    "outbox_retry_base": 0.1,
    "outbox_retry_cap": 0.3,
    "quantive_max_retries": 0,
    "quantive_settle_seconds": 0.3,
}


def new_awards(emulator: Emulator) -> list[dict[str, Any]]:
    """Every award in the emulator besides the demo account's own."""
    return [a for a in emulator.state.assignments.values() if a["id"] not in SEEDED_AWARDS]


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def bot_environment(
    slack_url: str, quantive_url: str, account_id: str, database_url: str, **extra: str
) -> dict[str, str]:
    """The environment of a bot subprocess wired to a fake Slack and the emulator;
    ``extra`` adds settings by their variable name."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "QUANTIVE_API_URL": quantive_url,
        "QUANTIVE_API_TOKEN": DEFAULT_TOKEN,
        "QUANTIVE_ACCOUNT_ID": account_id,
        "DATABASE_URL": database_url,
        "BADGE_APPROVERS": ",".join(APPROVERS),
        **extra,
    }


def click_body(
    action_id: str,
    value: str,
    user: str,
    *,
    channel: str = "CAPPROVALS",
    ts: str = "1700000000.000001",
    response_url: str = "",
) -> str:
    """The form body Slack sends when ``user`` clicks a button in a message."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "unused",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": new_trigger_id(),
        "channel": {"id": channel, "name": "approvals"},
        "message": {"ts": ts, "text": "request"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


class BotHarness:
    """Starts the app and sends it signed Slack requests."""

    def __init__(
        self, emulator: Emulator, slack: FakeSlack, database_url: str, **overrides: Any
    ) -> None:
        self.emulator = emulator
        self.slack = slack
        values: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": f"{slack.url}/api/",
            "quantive_api_url": emulator.url,  # type: ignore[attr-defined]
            "quantive_api_token": DEFAULT_TOKEN,
            "quantive_account_id": emulator.account_id,
            "quantive_backoff_base": 0.01,
            "quantive_backoff_cap": 0.05,
            "database_url": database_url,
            "badge_approvers": APPROVERS,
        }
        values.update(overrides)
        self.settings = Settings(**values)
        self.app = create_web_app(self.settings, slack_retry_handlers=quick_slack_retries())
        self.server = BackgroundServer(self.app)
        self.http = httpx.Client(timeout=10)

    def start(self) -> BotHarness:
        self.server.start()
        return self

    def stop(self) -> None:
        self.http.close()
        self.server.stop()

    @property
    def url(self) -> str:
        return f"{self.server.url}/slack/events"

    def query(self, action: Callable[[Store], Awaitable[T]]) -> T:
        """Run ``action`` on a store of its own over the app's database, from a test thread
        (the app's store belongs to the app's event loop)."""

        async def run() -> T:
            store = Store(self.settings.database)
            try:
                return await action(store)
            finally:
                await store.aclose()

        return asyncio.run(run())

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every listener has finished, the work after its ack included."""
        if not self.app.state.in_flight.wait_idle(timeout):
            raise AssertionError(f"listeners still running after {timeout} s")

    def post(self, body: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(self.url, content=body, headers=headers or signed_headers(body))

    def command(
        self, text: str, user: str = "UAMARA", channel: str = "CGENERAL", response_key: str = "cmd"
    ) -> httpx.Response:
        return self.post(self.command_body(text, user, channel, response_key))

    def command_body(
        self, text: str, user: str = "UAMARA", channel: str = "CGENERAL", response_key: str = "cmd"
    ) -> str:
        """The form body Slack sends for ``/badge <text>``."""
        return urllib.parse.urlencode(
            {
                "token": "unused",
                "team_id": "T1",
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/badge",
                "text": text,
                "response_url": self.slack.response_url(response_key),
                "trigger_id": new_trigger_id(),
                "api_app_id": "A1",
            }
        )

    def post_event(self, event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(
            {
                "token": "unused",
                "team_id": "T1",
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        return self.http.post(self.url, content=body, headers=headers)

    def interactive(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}))

    def click(
        self,
        action_id: str,
        value: str,
        user: str,
        *,
        channel: str = "CAPPROVALS",
        ts: str = "1700000000.000001",
        response_key: str = "click",
    ) -> httpx.Response:
        return self.post(
            click_body(
                action_id,
                value,
                user,
                channel=channel,
                ts=ts,
                response_url=self.slack.response_url(response_key),
            )
        )

    def submit(self, view: dict[str, Any], values: dict[str, Any], user: str) -> httpx.Response:
        return self.interactive(
            {
                "type": "view_submission",
                "team": {"id": "T1", "domain": "acme"},
                "user": {"id": user, "username": user.lower(), "team_id": "T1"},
                "api_app_id": "A1",
                "token": "unused",
                "trigger_id": new_trigger_id(),
                "view": {**view, "id": "V1", "team_id": "T1", "state": {"values": values}},
            }
        )


def give_modal_values(users: list[str], badge_id: str | None, comment: str = "") -> dict:
    """The state of a filled-in give modal."""
    badge = (
        {"selected_option": {"value": badge_id, "text": {"type": "plain_text", "text": "b"}}}
        if badge_id
        else {"selected_option": None}
    )
    return {
        "recipients": {"users": {"type": "multi_users_select", "selected_users": users}},
        "badge": {"badge_choice": {"type": "external_select", **badge}},
        "comment": {"comment": {"type": "plain_text_input", "value": comment}},
    }
