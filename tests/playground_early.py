"""The playground of the browser tests, started early: while the tests before its module
run (see conftest and tests.early), its database migrated first in the main thread."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from unittest import mock

from bot.store import migrate
from playground import run as playground_run
from playground.run import PlaygroundStack
from tests.early import EARLY


def start_playground(
    data_dir: str | None = None, since: float | None = None
) -> tuple[PlaygroundStack, float, str | None]:
    """The playground, started; how many seconds that took (from ``since``, when its
    database was prepared before); and the folder it was given, if any."""
    started = since if since is not None else time.monotonic()
    if data_dir is None:
        playground = PlaygroundStack(port=0).start()
    else:
        # Its database was migrated in the main thread (begin_early): here, perhaps in a
        # background thread, Alembic must not run again, for its context is process-wide
        # and would break a migration a test runs meanwhile (hanging it).
        with mock.patch.object(playground_run, "migrate", already_migrated):
            playground = PlaygroundStack(port=0, data_dir=data_dir).start()
    return playground, time.monotonic() - started, data_dir


async def already_migrated(database_url: str) -> None:
    """What the playground's start migrates, when begin_early did it already."""


def stop_playground(started: tuple[PlaygroundStack, float, str | None]) -> None:
    """Stop the playground, and remove the folder it was given."""
    playground, _, data_dir = started
    playground.stop()
    if data_dir is not None:
        shutil.rmtree(data_dir, ignore_errors=True)


def begin_early() -> None:
    """Start the playground while the tests before this module run (see conftest). Its
    database is migrated here first, in the main thread (see tests.early)."""
    since = time.monotonic()
    data_dir = tempfile.mkdtemp(prefix="badgebot-playground-")
    asyncio.run(migrate(f"sqlite:///{Path(data_dir) / 'playground.db'}"))
    EARLY.begin("playground", lambda: start_playground(data_dir, since), stop_playground)
