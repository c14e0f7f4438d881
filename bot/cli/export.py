"""``export``: the awards given through the bot (for HR), or Quantive's current holders."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.settings import Settings

HELP = "write the awards given through the bot, for HR"
ABOUT = (
    "Write every award given through the bot (for HR) as CSV or JSON lines, or with "
    "--holders Quantive's current holders of every badge."
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``export`` and its options."""
    export = sub.add_parser("export", help=HELP, description=ABOUT)
    export.add_argument("--since", default=None, help="YYYY-MM-DD (UTC), inclusive")
    export.add_argument("--until", default=None, help="YYYY-MM-DD (UTC), inclusive")
    export.add_argument(
        "--format",
        choices=["csv", "jsonl"],
        default="csv",
        help="csv (default) for spreadsheets: a cell starting with = + - @, a tab or a "
        "carriage return gets a leading ' so that it is never run as a formula; jsonl "
        "keeps every text exactly, for programs",
    )
    export.add_argument("--out", default=None, help="a file (default: stdout)")
    export.add_argument(
        "--holders", action="store_true", help="Quantive's current holders of every badge instead"
    )
    export.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Write the HR export (or, with --holders, Quantive's holders) to a file or stdout."""
    import asyncio

    from bot.cli.startup import ready_settings
    from bot.export import day_start

    settings = ready_settings("export")
    if settings is None:
        return 2
    if settings.distributed:
        # Each workspace has its own awards and Quantive: exporting "the" data would
        # silently write another workspace's nothing.
        print(
            "export: with many workspaces, each one's admins download its awards from the "
            "dashboard (/dashboard/export.csv) or with `/badge export` in Slack and `export` "
            "in Teams; this command exports the single-workspace mode's",
            file=sys.stderr,
        )
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
