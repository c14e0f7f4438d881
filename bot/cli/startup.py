"""The checks every long-running command makes before it starts: usable settings and a
database at the code's schema, each problem printed as one readable line."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.settings import Mode, Settings, SettingsError, check_settings, load_settings


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
        print(f"badgebot {mode}: cannot start: {database_problem(settings, exc)}", file=sys.stderr)
        return False
    return True


def database_problem(settings: Settings, exc: Exception) -> str:
    """One line on why the database cannot be used; re-raises what is not a database
    problem."""
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


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM (a deploy, a restart) or Ctrl-C, so that a long-running
    command stops cleanly; a second signal ends the process at once, as usual. Call it
    with the command's event loop running."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)

    def stop_once() -> None:
        stop.set()
        for signum in signals:
            loop.remove_signal_handler(signum)

    for signum in signals:
        loop.add_signal_handler(signum, stop_once)
    return stop
