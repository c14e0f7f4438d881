"""``migrate``: bring the database to the code's schema (the Procfile's release process)."""

from __future__ import annotations

import argparse
import sys

HELP = "bring the database to this version's schema (release)"
ABOUT = "Bring the database to this version's schema (the Procfile's release process)."


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``migrate``."""
    sub.add_parser("migrate", help=HELP, description=ABOUT).set_defaults(run=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    """Bring the database to the code's schema (the Procfile's release process)."""
    import asyncio

    from bot.cli.startup import database_problem
    from bot.settings import SettingsError, load_settings
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
        print(f"badgebot migrate: {database_problem(settings, exc)}", file=sys.stderr)
        return 1
    if before.is_current:
        print(f"{target}: already at revision {before.head}")
    else:
        print(f"{target}: migrated from revision {before.current or 'none'} to {before.head}")
    return 0
