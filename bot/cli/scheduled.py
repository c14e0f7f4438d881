"""The scheduled posts: ``clock`` (the digest and weekly recap on schedule), and ``digest``
and ``recap`` (each once, now), on every configured chat platform."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.digest import DigestJob
    from bot.recap import RecapJob
    from bot.settings import Mode, Settings

log = logging.getLogger(__name__)

# Each command's line in --help, and the longer description atop its own --help.
CLOCK_HELP = "post the digest and recap on schedule (Procfile: clock)"
CLOCK_ABOUT = (
    "Post the digest of pending awards at DIGEST_TIME and the weekly recap at RECAP_TIME, "
    "on every configured chat platform (the Procfile's clock process)."
)
DIGEST_HELP = "post the digest of pending awards once, now"
DIGEST_ABOUT = (
    "Post the digest of awards waiting for approval once, now, to every subscribed "
    "channel; exit 0 on success, 1 with a one-line reason."
)
RECAP_HELP = "post the weekly recap once, now"
RECAP_ABOUT = (
    "Post the weekly recap of the week's awards once, now, to every subscribed channel; "
    "exit 0 on success, 1 with a one-line reason."
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``clock``, ``digest`` and ``recap`` and their options."""
    clock = sub.add_parser("clock", help=CLOCK_HELP, description=CLOCK_ABOUT)
    clock.set_defaults(run=run_clock_process)
    digest = sub.add_parser("digest", help=DIGEST_HELP, description=DIGEST_ABOUT)
    digest.add_argument("--force", action="store_true", help="post even if already posted today")
    digest.add_argument("--channel", default=None, help="only this channel or conversation id")
    digest.set_defaults(run=run_digest)
    recap = sub.add_parser("recap", help=RECAP_HELP, description=RECAP_ABOUT)
    recap.add_argument("--force", action="store_true", help="post even if posted this week")
    recap.add_argument("--channel", default=None, help="only this channel or conversation id")
    recap.set_defaults(run=run_recap)


@dataclass(frozen=True)
class PlatformJobs:
    """One chat platform's scheduled jobs, for a process without a web server."""

    name: str
    digest: DigestJob
    recap: RecapJob


@contextlib.asynccontextmanager
async def digest_runtime(settings: Settings) -> AsyncIterator[list[PlatformJobs]]:
    """The digest and recap jobs of each configured platform, for a process without a
    web server (digest, recap): the single workspace's, or every connected one's."""
    async with workspaces_runtime(settings) as jobs_now:
        yield await jobs_now()


@contextlib.asynccontextmanager
async def workspaces_runtime(
    settings: Settings,
) -> AsyncIterator[Callable[[], Awaitable[list[PlatformJobs]]]]:
    """A function that lists every connected workspace's digest and recap jobs, each with
    its own settings (the environment's with the workspace's stored ones on top), Quantive
    and token, for as long as the context lasts. A workspace's jobs are made again when
    its services are rebuilt (its settings changed), so the clock follows an admin's
    change of times or channels without a restart."""
    from bot.store import Store
    from bot.workspace_services import NotConnected, Workspaces

    store = Store(settings.database)
    workspaces = Workspaces(settings, store)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(store.aclose)
        stack.push_async_callback(workspaces.aclose)
        slack = await stack.enter_async_context(_slack_background(settings, workspaces))
        # Each workspace's jobs with the clients they hold, closed when the jobs are made
        # anew (a long-running clock must not keep every client it ever opened).
        built: dict[tuple[str, str], tuple[object, PlatformJobs, contextlib.AsyncExitStack]] = {}

        async def close_all() -> None:
            for _, _, own in built.values():
                await own.aclose()

        stack.push_async_callback(close_all)

        async def jobs_now() -> list[PlatformJobs]:
            jobs: list[PlatformJobs] = []
            for key in await workspaces.connected():
                try:
                    services = await workspaces.services(key)
                except NotConnected:
                    continue
                for platform in _platforms(settings, key):
                    kept = built.get((key, platform))
                    if kept is None or kept[0] is not services:
                        if kept is not None:
                            await built.pop((key, platform))[2].aclose()
                        own = contextlib.AsyncExitStack()
                        made = await _jobs_of(own, slack, key, platform, services)
                        if made is None:
                            await own.aclose()
                            continue
                        kept = built[(key, platform)] = (services, made, own)
                    jobs.append(kept[1])
            return jobs

        yield jobs_now


def _platforms(settings: Settings, key: str) -> list[str]:
    """The platforms whose digest and recap a workspace has."""
    from bot.workspaces import DEFAULT_WORKSPACE

    slack = ["Slack"] if settings.slack_enabled else []
    teams = ["Teams"] if settings.teams_enabled else []
    if key == DEFAULT_WORKSPACE:
        return slack + teams
    return slack if key.startswith("slack:") else teams


async def _jobs_of(
    stack: contextlib.AsyncExitStack, slack: Any, key: str, platform: str, services: Any
) -> PlatformJobs | None:
    """One platform's digest and recap for one workspace's services; None when the
    workspace cannot be reached (a Slack workspace no longer installed)."""
    from bot.workspaces import DEFAULT_WORKSPACE

    single = key == DEFAULT_WORKSPACE
    name = platform if single else f"{platform} {key}"
    if platform == "Teams":
        from handlers.teams.app import teams_runtime

        tenant = None if single else key.removeprefix("teams:")
        ctx = await stack.enter_async_context(teams_runtime(services.settings, services, tenant))
        return PlatformJobs(name, ctx.digest, ctx.recap)
    if slack is not None:  # distribution: the installation's token, rotated when due
        found = await slack.for_background(key)
        return None if found is None else PlatformJobs(name, found.digest, found.recap)
    from handlers.slack.app import build_context, build_slack_client, close_slack_client

    client = build_slack_client(services.settings)
    stack.push_async_callback(close_slack_client, client)
    made = build_context(services.settings, services, client)
    return PlatformJobs(name, made.digest, made.recap)


@contextlib.asynccontextmanager
async def _slack_background(settings: Settings, workspaces: Any) -> AsyncIterator[Any]:
    """Each Slack workspace's context for background posts, with its installation's
    token (rotated when due); None without Slack distribution."""
    if not settings.slack_distributed:
        yield None
        return
    from handlers.slack.app import default_retry_handlers
    from handlers.slack.distribution import Lifecycle, app_client
    from handlers.slack.oauth import SlackInstalls
    from handlers.slack.workspace_contexts import SlackContexts

    contexts = SlackContexts(settings, workspaces)
    client = app_client(settings, contexts.session, default_retry_handlers())
    lifecycle = Lifecycle(workspaces)
    lifecycle.installs = SlackInstalls(settings, engine=workspaces.store.engine, client=client)
    contexts.tokens = lifecycle.token_for
    try:
        yield contexts
    finally:
        await lifecycle.installs.aclose()
        await contexts.aclose()


def _run_when_ready(mode: Mode, main: Callable[[Settings], Coroutine[Any, Any, int]]) -> int:
    """Run ``main`` on the settings checked for ``mode``, with the database at the code's
    schema; its exit status, or 2 when they are not ready (ready_settings said why)."""
    import asyncio

    from bot.cli.startup import ready_settings

    settings = ready_settings(mode)
    if settings is None:
        return 2
    return asyncio.run(main(settings))


def run_digest(args: argparse.Namespace) -> int:
    """Post the digest once, now; exit 0 on success, 1 with a one-line reason."""
    return _run_when_ready(
        "digest", lambda settings: digest_once(settings, force=args.force, channel=args.channel)
    )


async def digest_once(settings: Settings, *, force: bool, channel: str | None) -> int:
    """Post the digest on each platform (or only to ``channel``); the exit status."""
    from bot.digest import DigestError

    failed: list[str] = []
    async with digest_runtime(settings) as jobs:
        subscribed = [p.name for p in jobs if await p.digest.channels()]
        if not channel and not subscribed:
            print(
                "digest: no channel is subscribed; set DIGEST_CHANNELS or send "
                "“digest here” (Slack: /badge digest here)"
            )
            return 0
        chosen = await _chosen(channel, jobs, lambda p: p.digest)
        if chosen is None:
            print(f"digest: {_NOT_OWNED.format(channel=channel)}", file=sys.stderr)
            return 1
        for platform in chosen:
            name, job = platform.name, platform.digest
            try:
                report = await job.run(force=force, channels=[channel] if channel else None)
            except DigestError as exc:
                print(f"digest failed on {name}: {exc}", file=sys.stderr)
                failed.append(name)
                continue
            if report.failed:
                reasons = ", ".join(f"{c}: {e}" for c, e in report.failed.items())
                print(f"digest failed on {name} for {reasons}", file=sys.stderr)
                failed.append(name)
            print(
                f"digest ({name}): {report.pending} pending; posted to {len(report.posted)} "
                f"channel(s), {len(report.already_posted)} already had today's"
            )
    return 1 if failed else 0


#: Why --channel names nothing to post to, with several workspaces or platforms.
_NOT_OWNED = (
    "{channel} is none of the workspaces' channels; with several, --channel must be one "
    "they post to (DIGEST_CHANNELS, RECAP_CHANNELS, or one subscribed in the chat)"
)


async def _chosen(
    channel: str | None, jobs: list[PlatformJobs], job: Callable[[PlatformJobs], Any]
) -> list[PlatformJobs] | None:
    """The platforms to run ``job`` (their digest or recap) on for ``--channel``: all
    without one, the only one there is, else those that post there (each one's channels
    read once); None when none does."""
    if not channel or len(jobs) == 1:
        return jobs
    chosen = [platform for platform in jobs if channel in await job(platform).channels()]
    return chosen or None


def run_recap(args: argparse.Namespace) -> int:
    """Post the weekly recap now; exit 0 on success, 1 with a one-line reason."""
    return _run_when_ready(
        "recap", lambda settings: recap_once(settings, force=args.force, channel=args.channel)
    )


async def recap_once(settings: Settings, *, force: bool, channel: str | None) -> int:
    """Post the weekly recap on each platform (or only to ``channel``); the exit status."""
    failed = False
    async with digest_runtime(settings) as jobs:
        chosen = await _chosen(channel, jobs, lambda p: p.recap)
        if chosen is None:
            print(f"recap: {_NOT_OWNED.format(channel=channel)}", file=sys.stderr)
            return 1
        for platform in chosen:
            job = platform.recap
            report = await job.run(force=force, channels=[channel] if channel else None)
            if report.failed:
                reasons = ", ".join(f"{c}: {e}" for c, e in report.failed.items())
                print(f"recap failed on {platform.name} for {reasons}", file=sys.stderr)
                failed = True
            print(
                f"recap ({platform.name}): {report.awards} award(s) this week; posted to "
                f"{len(report.posted)} channel(s), {len(report.already_posted)} already had it"
            )
    return 1 if failed else 0


def run_clock_process(args: argparse.Namespace) -> int:
    """Run the scheduler that posts the digest and recap (the Procfile's clock process)."""

    async def clock(settings: Settings) -> int:
        # One tick a minute over every workspace's own digest and recap times, read
        # afresh, so a time an admin changes counts from the next tick.
        from bot.cli.startup import stop_on_signals
        from bot.clock import run_clock

        # SIGTERM (a deploy, a restart) and Ctrl-C stop it cleanly, after the tick under way.
        stop = stop_on_signals()
        async with workspaces_runtime(settings) as jobs_now:
            await run_clock(jobs_now, stop=stop)
        log.info("clock stopped")
        return 0

    return _run_when_ready("clock", clock)
