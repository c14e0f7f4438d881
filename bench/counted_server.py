"""Serve badgebot (``bot``) or the bare Bolt OAuth app (``bare``) under uvicorn, as
``python -m bench.counted_server bot|bare PORT``, counting the SQL statements each makes
and timing the steps of its ack.

A statement counts as the ack path's when it runs for a request to ``/slack/events``
(in its task, or a task it started) before the response began; after that, as the work
after the ack; in tasks no request started (the background worker), as background. The
steps timed the same way, before the response began: Bolt's authorize (both apps), and
within it ``auth.test``; badgebot's replay check and its middleware's workspace context;
and the rounds of badgebot's background worker over every workspace.
``GET /_bench/queries`` answers the counts, the seconds and the number of requests. Both
apps get the same uvicorn settings (no access log), so the server costs the same to each.
With ``BENCH_PROFILE=path`` the process runs under cProfile and writes its stats there.
"""

from __future__ import annotations

import contextvars
import cProfile
import functools
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.responses import JSONResponse

COUNTS: Counter[str] = Counter()
#: The profiler and where its stats go, under BENCH_PROFILE.
PROFILE: dict[str, Any] = {}
SECONDS: Counter[str] = Counter()
#: The request being answered, in its task and the tasks it starts: whether it was acked.
_REQUEST: contextvars.ContextVar[dict[str, bool] | None] = contextvars.ContextVar(
    "request", default=None
)


def _phase() -> str:
    request = _REQUEST.get()
    if request is None:
        return "background"
    return "after_ack" if request["acked"] else "ack_path"


_TABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b.*?\b(?:FROM|INTO|UPDATE)\s+(\w+)", re.S)


@event.listens_for(Engine, "before_cursor_execute")
def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    # SQLAlchemy's greenlets carry the awaiting task's context, so the phase is the caller's.
    phase = _phase()
    COUNTS[phase] += 1
    if phase == "background":  # what the worker reads and writes, by statement and table
        found = _TABLE.match(statement)
        COUNTS[f"bg {found.group(1)} {found.group(2)}" if found else "bg other"] += 1


def _wrap(owner: type, name: str, record: Callable[[float], None]) -> None:
    """Replace the coroutine method ``owner.name`` by one that hands ``record`` the
    seconds each call took."""
    method = getattr(owner, name)

    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            record(time.perf_counter() - started)

    setattr(owner, name, wrapper)


def timed(owner: type, name: str, label: str) -> None:
    """Add the seconds ``owner.name`` (a coroutine method) takes on ack paths to ``label``."""

    def record(seconds: float) -> None:
        if _phase() == "ack_path":
            SECONDS[label] += seconds

    _wrap(owner, name, record)


def rounds_timed(owner: type, name: str, label: str) -> None:
    """Count the calls of ``owner.name`` in ``label`` and add up their seconds."""

    def record(seconds: float) -> None:
        COUNTS[label] += 1
        SECONDS[label] += seconds

    _wrap(owner, name, record)


class Counted:
    """The app, with ``/_bench/queries`` and each Slack request marked until its ack."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve the two bench routes, or the app, marking Slack requests."""
        if scope["type"] == "http" and scope["path"] == "/_bench/profile" and PROFILE:
            PROFILE["profiler"].dump_stats(PROFILE["path"])
            await JSONResponse({"written": PROFILE["path"]})(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == "/_bench/queries":
            body = {**COUNTS, **{f"s_{k}": v for k, v in SECONDS.items()}}
            await JSONResponse(body)(scope, receive, send)
            return
        if not (scope["type"] == "http" and scope["path"] == "/slack/events"):
            await self.app(scope, receive, send)
            return
        request = {"acked": False}
        _REQUEST.set(request)
        COUNTS["requests"] += 1
        started = time.perf_counter()

        async def answer(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and not request["acked"]:
                SECONDS["app"] += time.perf_counter() - started
                request["acked"] = True
            await send(message)

        await self.app(scope, receive, answer)


def build(which: str) -> Any:
    """The ASGI app named by ``which``, its steps timed."""
    from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
    from slack_sdk.web.async_client import AsyncWebClient

    timed(AsyncInstallationStoreAuthorize, "__call__", "authorize")
    timed(AsyncWebClient, "auth_test", "auth_test")
    if which == "bare":
        from bench.bare_oauth_app import create_app

        return create_app()
    from bot.settings import load_settings
    from bot.web import create_web_app
    from bot.workspace_jobs import EveryWorkspace
    from handlers.slack.endpoint import SlackEndpoint
    from handlers.slack.workspace_contexts import SlackContexts

    timed(SlackEndpoint, "_first_sighting", "replay_check")
    timed(SlackContexts, "for_key", "workspace_context")
    rounds_timed(EveryWorkspace, "__call__", "worker_round")
    return create_web_app(load_settings())


def main() -> None:
    """Serve; with BENCH_PROFILE=path, under cProfile (``GET /_bench/profile`` writes the
    stats there: uvicorn ends on SIGTERM by raising it again, so nothing runs at exit)."""
    profile_to = os.environ.get("BENCH_PROFILE")
    if profile_to:
        PROFILE.update(profiler=cProfile.Profile(), path=profile_to)
        PROFILE["profiler"].enable()
    uvicorn.run(
        Counted(build(sys.argv[1])),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
