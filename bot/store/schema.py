"""Schema versions: bring a database to the code's schema (``python -m bot migrate``),
and tell a process whose database is behind to stop before it touches anything."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.database import create_engine, transaction

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# Alembic narrates every step at INFO ("Will assume non-transactional DDL", which is not
# so here: see store.transaction); `python -m bot migrate` prints its own one-line summary.
logging.getLogger("alembic").setLevel(logging.WARNING)


class SchemaBehind(RuntimeError):
    """The database is not at the schema this code needs; the message says what to do."""


@dataclass(frozen=True)
class SchemaVersion:
    """Where a database is, and where the code wants it."""

    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        """Whether the database has exactly the code's schema."""
        return self.current == self.head


def _config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision in ``bot/migrations``."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "bot/migrations has no revisions"
    return head


async def check_schema(engine: AsyncEngine) -> None:
    """Raise :class:`SchemaBehind` unless the database is at the code's schema."""
    async with engine.connect() as conn:
        current = await conn.run_sync(_current_revision)
    scripts = ScriptDirectory.from_config(_config())
    head = scripts.get_current_head()
    if current == head:
        return
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        raise SchemaBehind(
            f"the database schema is at revision {current}, newer than this code "
            f"({head}); deploy the newer code, or restore a matching backup."
        )
    at = current or "none (never migrated)"
    raise SchemaBehind(
        f"the database schema is at revision {at}, this code needs {head}; "
        "run `python -m bot migrate`."
    )


async def migrate(database_url: str) -> SchemaVersion:
    """Upgrade the database at ``database_url`` to the head revision; return the version
    it was at before (it is at ``head`` after)."""
    engine = create_engine(database_url)
    try:
        # One transaction: a migration that fails leaves nothing half done (DDL is
        # transactional on both backends), and the lock below lasts until the commit.
        async with transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                # Two release processes started at once: the second waits, then finds
                # nothing to do. The lock ends with this transaction.
                await conn.execute(text("SELECT pg_advisory_xact_lock(7462019)"))
            current = await conn.run_sync(_current_revision)
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), "head"))
        return SchemaVersion(current, head_revision())
    finally:
        await engine.dispose()


def _current_revision(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
