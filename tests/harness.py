"""The end-to-end harness: the real app on a loopback port, receiving signed requests,
talking to the fake Slack Web API and to the Quantive emulator over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import os
import shutil
import threading
import time
import urllib.parse
import weakref
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from starlette.responses import PlainTextResponse

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


class QuickRateLimitRetries(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, which sleeps Retry-After plus up to a second of jitter,
    made to wait a thousandth of that: the retry still follows the header, the test does
    not sit through it. ``waits`` keeps each Retry-After it was told to honour."""

    def __init__(self, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.waits: list[float] = []

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None):
        if response is None:
            raise error  # type: ignore[misc]
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        wait = float(header[0] if isinstance(header, list) else header)
        self.waits.append(wait)
        state.next_attempt_requested = True
        await asyncio.sleep(wait / 1000)
        state.increment_current_attempt()


def quick_slack_retries() -> list:
    """slack_sdk's retry handlers with millisecond waits, so tests do not sit through backoff."""
    from slack_sdk.http_retry.builtin_async_handlers import (
        AsyncConnectionErrorRetryHandler,
        AsyncServerErrorRetryHandler,
    )
    from slack_sdk.http_retry.builtin_interval_calculators import (
        FixedValueRetryIntervalCalculator,
    )

    quick = FixedValueRetryIntervalCalculator(0.01)
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=quick),
        QuickRateLimitRetries(max_retry_count=5),
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


@contextlib.contextmanager
def teams_app(
    emulator: Emulator, slack: FakeSlack, teams: Any, template: Path, folder: Path, **overrides: Any
) -> Iterator[BotHarness]:
    """One app serving Slack and the fake Teams (tests.fake_teams) for a whole module,
    on a copy of the migrated ``template`` database in ``folder``; starting one per test
    is slow."""
    path = folder / "bot.db"
    shutil.copyfile(template, path)
    harness = BotHarness(emulator, slack, f"sqlite:///{path}", **teams.settings(), **overrides)
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()


def clean_environ() -> dict[str, str]:
    """This process's environment without SLACK_* and QUANTIVE_* settings, so that a
    developer's shell cannot configure a bot subprocess."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUANTIVE_"))}


def process_environment(
    emulator: Emulator, slack: FakeSlack, database_url: str, **extra: str
) -> dict[str, str]:
    """The whole environment of a ``python -m bot`` subprocess wired to the fakes."""
    url = emulator.url  # type: ignore[attr-defined]
    return {
        **clean_environ(),
        **bot_environment(slack.url, url, emulator.account_id, database_url, **extra),
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


class AppSlot:
    """A loopback server started once and kept: it serves whichever app is mounted.

    Mounting runs the app's own lifespan (services, store, worker, front ends) inside the
    server's event loop, and unmounting ends it, so each test gets a freshly started app
    with nothing cached from the last one, without the cost of a new server, thread and
    HTTP client per test.
    """

    def __init__(self) -> None:
        self.app: Any = None
        self.server = BackgroundServer(self).start()
        self.http = httpx.Client(timeout=10)
        self._host: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        #: The tasks the mounted app started (its requests' included), to end with it.
        self._tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._mounted: contextvars.ContextVar[weakref.WeakSet[asyncio.Task[Any]] | None] = (
            contextvars.ContextVar("mounted", default=None)
        )

        async def tag_new_tasks() -> None:
            loop = asyncio.get_running_loop()

            def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
                task = asyncio.Task(coro, loop=loop, **kwargs)
                context = kwargs.get("context") or contextvars.copy_context()
                owner = context.get(self._mounted)
                if owner is not None:
                    owner.add(task)
                return task

            loop.set_task_factory(factory)

        self._call(tag_new_tasks, 5)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the slot's own: the mounted app has its own
            while True:
                message = await receive()
                kind = message["type"].removeprefix("lifespan.")
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        app = self.app
        if app is None:
            await PlainTextResponse("no app mounted", 503)(scope, receive, send)
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._mounted.set(self._tasks)  # what the request starts belongs to the app too
        await app(scope, receive, send)

    def _call(self, make: Callable[[], Awaitable[T]], timeout: float) -> T:
        assert self.server.loop is not None
        future = asyncio.run_coroutine_threadsafe(make(), self.server.loop)
        return future.result(timeout)

    def mount(self, app: Any, timeout: float = 15.0) -> None:
        """Start ``app``'s lifespan and serve it; raises what its startup raised."""

        async def host(ready: asyncio.Future[None], stop: asyncio.Event) -> None:
            try:
                async with app.router.lifespan_context(app):
                    ready.set_result(None)
                    await stop.wait()
            except BaseException as exc:
                if not ready.done():
                    ready.set_exception(exc)
                    return
                raise

        async def start() -> None:
            self._tasks = weakref.WeakSet()
            self._mounted.set(self._tasks)
            self._stop = asyncio.Event()
            ready = asyncio.get_running_loop().create_future()
            self._host = asyncio.create_task(host(ready, self._stop))
            await ready
            self.app = app

        self._call(start, timeout)

    def unmount(self, timeout: float = 15.0, *, crash: bool = False) -> None:
        """End the mounted app's lifespan, then cancel whatever it left running, as the
        end of a server's event loop would. With ``crash``, everything the app runs is
        cancelled first, mid-step, as a kill would stop it, and only then is it closed."""

        async def cancel_the_rest(host: asyncio.Task[None]) -> None:
            me = asyncio.current_task()
            left = [t for t in self._tasks if not t.done() and t is not me and t is not host]
            for task in left:
                task.cancel()
            if left:
                await asyncio.wait(left, timeout=timeout / 2)

        async def stop() -> None:
            host, event = self._host, self._stop
            self._host = self._stop = None
            if host is None or event is None:
                return
            if crash:
                self.app = None
                await cancel_the_rest(host)
            event.set()
            try:
                await asyncio.wait_for(asyncio.shield(host), timeout / 2)
            finally:
                self.app = None
                await cancel_the_rest(host)

        self._call(stop, timeout)

    def close(self) -> None:
        self.unmount()
        self.http.close()
        self.server.stop()


class AppSlots:
    """The session's servers: a harness borrows one while it runs (two harnesses at once,
    as in the multi-process tests, get two)."""

    def __init__(self) -> None:
        self._free: list[AppSlot] = []
        self._all: list[AppSlot] = []
        self._lock = threading.Lock()

    def acquire(self) -> AppSlot:
        with self._lock:
            if self._free:
                return self._free.pop()
        slot = AppSlot()
        with self._lock:
            self._all.append(slot)
        return slot

    def release(self, slot: AppSlot) -> None:
        with self._lock:
            self._free.append(slot)

    def close(self) -> None:
        with self._lock:
            slots, self._all, self._free = self._all, [], []
        for slot in slots:
            slot.close()


#: Closed at the end of the session by conftest's ``app_slots`` fixture.
SLOTS = AppSlots()


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
        self._slot: AppSlot | None = None

    def start(self) -> BotHarness:
        return self._start_on(SLOTS.acquire())

    def _start_on(self, slot: AppSlot) -> BotHarness:
        """Mount the app on ``slot`` (given back if the mount fails)."""
        try:
            slot.mount(self.app)
        except BaseException:
            slot.unmount()
            SLOTS.release(slot)
            raise
        self._slot = slot
        return self

    def stop(self) -> None:
        """Let the listeners finish (so nothing they send lands in the next test's fakes),
        then end the app; what still runs after 5 s is cancelled."""
        slot, self._slot = self._slot, None
        if slot is not None:
            try:
                self.app.state.in_flight.wait_idle(5.0)
                slot.unmount()
            finally:
                SLOTS.release(slot)

    def crash(self) -> None:
        """Stop the app as a crash would: what it is doing is cancelled where it stands,
        with no wait for its listeners, and nothing is finished or tidied up first."""
        slot, self._slot = self._slot, None
        if slot is not None:
            try:
                slot.unmount(crash=True)
            finally:
                SLOTS.release(slot)

    @property
    def server(self) -> BackgroundServer:
        """The loopback server the app is mounted on."""
        assert self._slot is not None, "not started"
        return self._slot.server

    @property
    def http(self) -> httpx.Client:
        """An HTTP client for the app's server (kept with the server, across tests)."""
        assert self._slot is not None, "not started"
        return self._slot.http

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
