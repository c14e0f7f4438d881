"""The commands behind ``python -m bot``; each returns an exit status."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import uvicorn

from api.emulator import DEFAULT_TOKEN, Emulator
from api.emulator.state import load_demo_data
from bot.settings import Mode, Settings, SettingsError, check_settings, load_settings

if TYPE_CHECKING:
    from bot.digest import DigestJob
    from bot.recap import RecapJob

Command = Callable[[argparse.Namespace], int]


def run_emulator(args: argparse.Namespace) -> int:
    """Serve the Quantive emulator until interrupted."""
    emulator = Emulator(
        token=args.token,
        account_id=args.account_id,
        seed=load_demo_data(args.data),
        state_path=args.state,
        page_size=args.page_size,
    )
    print(
        f"Quantive emulator on http://{args.host}:{args.port}/api/v1 "
        f"(token {args.token!r}, account {emulator.account_id!r})",
        file=sys.stderr,
    )
    uvicorn.run(emulator.app, host=args.host, port=args.port, log_level="warning")
    return 0


def checked_settings(mode: Mode) -> Settings | None:
    """The settings for ``mode``, or None after printing every problem, one a line."""
    try:
        settings = load_settings()
        check_settings(settings, mode)
    except SettingsError as exc:
        print(f"badgebot {mode}: cannot start; fix these settings:", file=sys.stderr)
        for line in str(exc).splitlines():
            print(f"  - {line}", file=sys.stderr)
        return None
    return settings


def schema_is_current(settings: Settings, mode: Mode) -> bool:
    """Whether the database is at the code's schema; if not, say so in one line."""
    import asyncio

    from bot.store import Store

    async def check() -> None:
        store = Store(settings.database)
        try:
            await store.check_schema()
        finally:
            await store.aclose()

    try:
        asyncio.run(check())
    except Exception as exc:  # SchemaBehind, or a database that cannot be reached
        print(f"badgebot {mode}: cannot start: {_database_problem(settings, exc)}", file=sys.stderr)
        return False
    return True


def _database_problem(settings: Settings, exc: Exception) -> str:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import SchemaBehind, describe

    if isinstance(exc, SchemaBehind):
        return str(exc)
    if isinstance(exc, SQLAlchemyError | OSError):
        # The driver's message can quote the URL; name the database without its password.
        cause = type(getattr(exc, "orig", None) or exc).__name__
        return f"cannot reach the database {describe(settings.database)} ({cause})."
    raise exc


def ready_settings(mode: Mode) -> Settings | None:
    """Settings checked for ``mode``, with the database at the code's schema; else None."""
    settings = checked_settings(mode)
    if settings is None or not schema_is_current(settings, mode):
        return None
    return settings


def run_migrate(args: argparse.Namespace) -> int:
    """Bring the database to the code's schema (the Procfile's release process)."""
    import asyncio

    from bot.store import describe, migrate

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"badgebot migrate: cannot start; fix these settings:\n  {exc}", file=sys.stderr)
        return 2
    target = describe(settings.database)
    try:
        before = asyncio.run(migrate(settings.database))
    except Exception as exc:
        print(f"badgebot migrate: {_database_problem(settings, exc)}", file=sys.stderr)
        return 1
    if before.is_current:
        print(f"{target}: already at revision {before.head}")
    else:
        print(f"{target}: migrated from revision {before.current or 'none'} to {before.head}")
    return 0


def run_teams_package(args: argparse.Namespace) -> int:
    """Write the Teams app package (manifest and icons) for upload to Teams."""
    from pathlib import Path

    from handlers.teams.package import PackageError, write_package

    try:
        out = write_package(args.app_id, args.domain, Path(args.out))
    except PackageError as exc:
        print(f"teams-package: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}: upload it in Teams (Apps > Manage your apps > Upload an app)")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Serve Slack's HTTP requests (the Procfile's web process)."""
    from bot.web import create_web_app

    settings = ready_settings("serve")
    if settings is None:
        return 2
    port = args.port if args.port is not None else settings.port
    uvicorn.run(
        create_web_app(settings), host=args.host, port=port, log_level="info", proxy_headers=True
    )
    return 0


def run_socket(args: argparse.Namespace) -> int:
    """Connect to Slack in Socket Mode, for deployments without a public URL."""
    import asyncio

    settings = ready_settings("socket")
    if settings is None:
        return 2
    from handlers.slack.app import run_socket_mode

    asyncio.run(run_socket_mode(settings))
    return 0


def run_digest(args: argparse.Namespace) -> int:
    """Post the digest once, now; exit 0 on success, 1 with a one-line reason."""
    import asyncio

    settings = ready_settings("digest")
    if settings is None:
        return 2
    return asyncio.run(_digest_once(settings, force=args.force, channel=args.channel))


@dataclass(frozen=True)
class PlatformJobs:
    """One chat platform's scheduled jobs, for a process without a web server."""

    name: str
    digest: DigestJob
    recap: RecapJob


@contextlib.asynccontextmanager
async def digest_runtime(settings: Settings) -> AsyncIterator[list[PlatformJobs]]:
    """The digest and recap jobs of each configured platform, for a process without a
    web server (clock, digest, recap)."""
    from bot.services import Services

    services = Services.create(settings)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(services.aclose)
        jobs: list[PlatformJobs] = []
        if settings.slack_enabled:
            from handlers.slack.app import build_context, build_slack_client, close_slack_client

            client = build_slack_client(settings)
            stack.push_async_callback(close_slack_client, client)
            slack = build_context(settings, services, client)
            jobs.append(PlatformJobs("Slack", slack.digest, slack.recap))
        if settings.teams_enabled:
            from handlers.teams.app import teams_runtime

            ctx = await stack.enter_async_context(teams_runtime(settings, services))
            jobs.append(PlatformJobs("Teams", ctx.digest, ctx.recap))
        yield jobs


async def _digest_once(settings: Settings, *, force: bool, channel: str | None) -> int:
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
        for platform in jobs:
            name, job = platform.name, platform.digest
            if channel and channel not in await job.channels() and len(jobs) > 1:
                continue
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


def run_recap(args: argparse.Namespace) -> int:
    """Post the weekly recap now; exit 0 on success, 1 with a one-line reason."""
    import asyncio

    settings = ready_settings("recap")
    if settings is None:
        return 2
    return asyncio.run(_recap_once(settings, force=args.force, channel=args.channel))


async def _recap_once(settings: Settings, *, force: bool, channel: str | None) -> int:
    failed = False
    async with digest_runtime(settings) as jobs:
        for platform in jobs:
            job = platform.recap
            channels = await job.channels()
            if channel and channel not in channels and len(jobs) > 1:
                continue
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
    """Run the scheduler that posts the digest (the Procfile's clock process)."""
    import asyncio

    settings = ready_settings("clock")
    if settings is None:
        return 2

    async def clock() -> None:
        from bot.clock import run_clock

        async with digest_runtime(settings) as jobs:
            await run_clock(settings, [p.digest for p in jobs], recaps=[p.recap for p in jobs])

    asyncio.run(clock())
    return 0


def run_playground(args: argparse.Namespace) -> int:
    """The playground: emulator, bot and a page that plays Slack, with no accounts."""
    from playground.run import serve_playground

    serve_playground(args.port)
    return 0


def run_default(args: argparse.Namespace) -> int:
    """``make run``: the real bot when a chat platform and Quantive are configured, else
    the playground."""
    settings = load_settings()
    if (settings.slack_enabled or settings.teams_enabled) and not settings.problems_for("serve"):
        from bot.web import running_front_ends

        print(
            f"Settings found: starting the bot (python -m bot serve), serving "
            f"{running_front_ends(settings)}.",
            file=sys.stderr,
        )
        args.host, args.port = "0.0.0.0", None
        # make run is the all-in-one path, so it migrates; the Procfile's release does it
        # for deployments.
        return run_migrate(args) or run_serve(args)
    print(_playground_reason(settings), file=sys.stderr)
    args.port = settings.port
    return run_playground(args)


def _real_bot_settings(settings: Settings) -> dict[str, bool]:
    """What the real bot needs, by variable name, and whether each is set: Slack's unless
    only Teams is configured, and Teams' when any of it is."""
    needs: dict[str, bool] = {}
    if settings.slack_enabled or not settings.teams_enabled:
        needs |= {
            "SLACK_BOT_TOKEN": settings.slack_bot_token is not None,
            "SLACK_SIGNING_SECRET": settings.slack_signing_secret is not None,
        }
    needs |= {
        "QUANTIVE_API_TOKEN": settings.quantive_api_token is not None,
        "QUANTIVE_ACCOUNT_ID": bool(settings.quantive_account_id),
    }
    if settings.slack_enabled or not settings.teams_enabled:
        needs["BADGE_APPROVERS"] = bool(settings.badge_approvers)
    if settings.teams_enabled:
        needs |= {
            "TEAMS_APP_ID": bool(settings.teams_app_id),
            "TEAMS_APP_PASSWORD": settings.teams_app_password is not None,
            "TEAMS_TENANT_ID": bool(settings.teams_tenant_id),
            "TEAMS_APPROVERS": bool(settings.teams_approvers),
        }
    return needs


def _playground_reason(settings: Settings) -> str:
    """Why ``make run`` starts the playground: no settings, or which ones are missing."""
    found = _real_bot_settings(settings)
    present = [name for name, ok in found.items() if ok]
    if not present:
        return "No Slack, Teams or Quantive settings: starting the offline playground."
    missing = [name for name, ok in found.items() if not ok]
    if not missing:
        problems = " ".join(settings.problems_for("serve"))
        return f"The settings are not usable yet: {problems} Starting the offline playground."
    return (
        f"Found {', '.join(present)}, but the real bot also needs {', '.join(missing)}: "
        "starting the offline playground instead."
    )


def run_export(args: argparse.Namespace) -> int:
    """Write the HR export (or, with --holders, Quantive's holders) to a file or stdout."""
    import asyncio

    from bot.export import day_start

    settings = ready_settings("export")
    if settings is None:
        return 2
    try:
        since = day_start(args.since)
        until = day_start(args.until, end=True)
    except ValueError:
        print("export: --since and --until take dates as YYYY-MM-DD", file=sys.stderr)
        return 2
    # A CLI's event loop serves only this export, so plain blocking writes are fine.
    out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
    try:
        count = asyncio.run(_export(settings, args, out, since, until))
    finally:
        if out is not sys.stdout:
            out.close()
    print(
        f"export: {count} row(s)" + (f" written to {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


async def _export(
    settings: Settings,
    args: argparse.Namespace,
    out: TextIO,
    since: float | None,
    until: float | None,
) -> int:
    from bot.export import write_export, write_holders
    from bot.services import Services

    services = Services.create(settings)
    try:
        if args.holders:
            return await write_holders(services.quantive, out, args.format)
        return await write_export(services.store, out, since=since, until=until, fmt=args.format)
    finally:
        await services.aclose()


COMMANDS: dict[str, Command] = {
    "run": run_default,
    "playground": run_playground,
    "digest": run_digest,
    "clock": run_clock_process,
    "emulator": run_emulator,
    "serve": run_serve,
    "socket": run_socket,
    "migrate": run_migrate,
    "teams-package": run_teams_package,
    "export": run_export,
    "recap": run_recap,
}


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare every command and its options."""
    serve = sub.add_parser("serve", help="serve Slack's HTTP requests (Procfile: web)")
    serve.add_argument("--host", default="0.0.0.0")  # a hosted web process listens on all
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 3000")
    sub.add_parser("socket", help="connect to Slack in Socket Mode (SLACK_APP_TOKEN)")
    sub.add_parser("run", help="the bot if configured, else the offline playground (make run)")
    playground = sub.add_parser("playground", help="the offline playground page")
    playground.add_argument("--port", type=int, default=3000)
    sub.add_parser("clock", help="post the digest on schedule (Procfile: clock)")
    sub.add_parser("migrate", help="bring the database to this version's schema (release)")
    package = sub.add_parser("teams-package", help="write the Teams app package (a zip)")
    package.add_argument("--app-id", required=True, help="the Azure bot's Microsoft App ID")
    package.add_argument("--domain", required=True, help="the host serving /api/messages")
    package.add_argument("--out", default="badgebot-teams.zip")
    digest = sub.add_parser("digest", help="post the digest once, now")
    digest.add_argument("--force", action="store_true", help="post even if already posted today")
    digest.add_argument("--channel", default=None, help="only this channel id")
    recap = sub.add_parser("recap", help="post the weekly recap once, now")
    recap.add_argument("--force", action="store_true", help="post even if posted this week")
    recap.add_argument("--channel", default=None, help="only this channel or conversation id")
    export = sub.add_parser("export", help="write every award given through the bot (for HR)")
    export.add_argument("--since", default=None, help="YYYY-MM-DD (UTC), inclusive")
    export.add_argument("--until", default=None, help="YYYY-MM-DD (UTC), inclusive")
    export.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    export.add_argument("--out", default=None, help="a file (default: stdout)")
    export.add_argument(
        "--holders", action="store_true", help="Quantive's current holders of every badge instead"
    )
    emu = sub.add_parser("emulator", help="serve the Quantive emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8081)
    emu.add_argument("--token", default=DEFAULT_TOKEN, help="the Bearer token to accept")
    emu.add_argument("--account-id", default=None, help="default: the seed data's account id")
    emu.add_argument("--data", default=None, help="seed JSON file (default: the demo org)")
    emu.add_argument("--state", default=None, help="SQLite file that keeps state across runs")
    emu.add_argument(
        "--page-size", type=int, default=100, help="the largest page a list answers (default 100)"
    )
