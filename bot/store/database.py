"""The connection to the bot's database: URL forms, engines, and what every table
module shares.

``DATABASE_URL`` takes the forms people paste: ``sqlite:///file.db`` (the embedded
default), ``postgresql://...`` and ``postgres://...`` (what PaaS add-ons set). Each maps
to an asyncio driver, so no database call ever blocks the event loop: aiosqlite runs
SQLite on a thread per connection, psycopg 3 speaks PostgreSQL's protocol natively.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Self

from sqlalchemy import ColumnElement, Table, event
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.workspaces import DEFAULT_WORKSPACE

#: How long a SQLite writer waits for another process's write lock before failing.
SQLITE_BUSY_SECONDS = 10.0

#: How long opening a PostgreSQL connection may take (libpq's minimum is 2): a server that
#: is gone must fail a request, not hold it, and the pool tries again on the next one.
POSTGRES_CONNECT_SECONDS = 3


class DatabaseUrlError(ValueError):
    """``DATABASE_URL`` names no database this bot can use."""


def driver_url(database_url: str) -> URL:
    """The SQLAlchemy URL, with the asyncio driver, for a ``DATABASE_URL``."""
    raw = database_url.strip()
    if raw.startswith("postgres://"):  # Heroku-style add-ons still set this form
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseUrlError(
            "DATABASE_URL is not a database URL; use sqlite:///badgebot.db or "
            "postgresql://user:password@host:5432/dbname."
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    raise DatabaseUrlError(
        f"DATABASE_URL uses {backend!r}; badgebot runs on sqlite:/// or postgresql:// only."
    )


def describe(database_url: str) -> str:
    """The URL with its password hidden, fit for logs and error messages."""
    try:
        return driver_url(database_url).render_as_string(hide_password=True)
    except DatabaseUrlError:
        return "(unparsable DATABASE_URL)"


def create_engine(database_url: str) -> AsyncEngine:
    """An engine for ``DATABASE_URL``; connections open lazily, on first use."""
    url = driver_url(database_url)
    if url.get_backend_name() == "postgresql":
        # Twenty connections cover a web process's concurrent work. Recycling after five
        # minutes keeps clear of proxies that drop idle connections; a connection that a
        # failover closed fails one query and the pool is rebuilt. (pool_pre_ping would
        # catch that too, at the price of one more round trip per query.)
        return create_async_engine(
            url,
            connect_args={"connect_timeout": POSTGRES_CONNECT_SECONDS},
            # An error's text names its statement but not the values: they hold comments,
            # names and emails, and the error is logged.
            hide_parameters=True,
            pool_size=10,
            max_overflow=10,
            pool_recycle=300,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
        )
    memory = url.database in (None, "", ":memory:")
    engine = create_async_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_SECONDS},
        hide_parameters=True,  # as for PostgreSQL: no comment or email in a logged error
        # One connection per process. SQLite takes one writer at a time anyway, and two
        # connections of one process would meet its busy handler, which sleeps 1 to 100 ms
        # between tries; one connection queues them in the pool instead (measured: ack
        # p99 at 50 gives/s from 101 ms to 48 ms). In memory, every connection would be its
        # own empty database: StaticPool shares one.
        isolation_level="AUTOCOMMIT",
        **(
            {"poolclass": StaticPool}
            if memory
            else {"pool_size": 1, "max_overflow": 0, "pool_reset_on_return": None}
        ),
    )
    if not memory:
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one process writes; synchronous=NORMAL survives a crashed
    # process (only a power cut can lose the last commits) and saves an fsync per write.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A real transaction on an autocommit engine (see :meth:`Database.connect`): commits
    on exit, rolls back on error, and holds transaction-scoped locks until then."""
    async with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            conn = await conn.execution_options(isolation_level="READ COMMITTED")
            async with conn.begin():
                yield conn
            return
        # Python's sqlite3 opens a transaction only before INSERT, UPDATE and DELETE, so
        # DDL (a migration) would run outside one; an explicit BEGIN IMMEDIATE covers
        # every statement and takes the write lock up front, so the transaction cannot
        # fail halfway for want of it.
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            await conn.exec_driver_sql("ROLLBACK")
            raise
        await conn.exec_driver_sql("COMMIT")


class Database:
    """The engine, the dialect's INSERT and the workspace, shared by the table modules of
    the store.

    A store belongs to one workspace (bot.workspaces): every query of every table module
    filters by :attr:`workspace` and every write sets it, so two workspaces may hold the
    same chat and Quantive ids. ``Store(url)`` is the single-workspace mode's
    (``default``); :meth:`for_workspace` gives another workspace's view of the same engine.
    """

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)
        self.workspace = DEFAULT_WORKSPACE
        # Only the store that made the engine disposes of it; its views share it.
        self._owns_engine = True
        # Both dialects' INSERT has on_conflict_do_nothing / on_conflict_do_update, which
        # is how claims stay atomic: the primary key decides who was first.
        postgres = self.engine.dialect.name == "postgresql"
        self._insert = postgres_insert if postgres else sqlite_insert

    def for_workspace(self, key: str) -> Self:
        """This store as workspace ``key`` sees it: the same engine and connection pool,
        no new connection. Closing the view does nothing; close the store that made it."""
        if not valid_workspace(key):
            raise ValueError(f"not a workspace key: {key!r} (see bot.workspaces)")
        view = copy.copy(self)
        view.workspace = key
        view._owns_engine = False
        return view

    def _mine(self, table: Table) -> ColumnElement[bool]:
        """The condition that keeps a query to this store's workspace."""
        return table.c.workspace == self.workspace

    async def _upsert(self, table: Table, values: dict[str, Any]) -> None:
        """Insert a row of this workspace, or replace the one with the same primary key
        (which starts with the workspace, so another workspace's row is never touched)."""
        values = {**values, "workspace": self.workspace}
        key = [c.name for c in table.primary_key.columns]
        statement = self._insert(table).values(values)
        statement = statement.on_conflict_do_update(index_elements=key, set_=values)
        async with self.connect() as conn:
            await conn.execute(statement)

    async def _insert_new(
        self,
        table: Table,
        values: dict[str, Any],
        returning: Any,
        *,
        conflict: list[str] | None = None,
    ) -> bool:
        """Insert a row of this workspace unless its key is taken (the primary key, or the
        ``conflict`` columns' unique index); True when this call wrote it. This is how a
        claim, a subscription or a sighting is won by exactly one caller, on both
        dialects. ``returning`` is any column of the row (see :func:`inserted`)."""
        statement = (
            self._insert(table)
            .values({"workspace": self.workspace, **values})
            .on_conflict_do_nothing(index_elements=conflict)
        )
        async with self.connect() as conn:
            return await inserted(conn, statement, returning)

    def connect(self) -> Any:
        """``async with store.connect() as conn``: each statement commits on its own.

        Every write here is one statement (an upsert, a conditional update), atomic by
        itself, so the engines run in autocommit: no BEGIN and COMMIT round trips, and no
        rollback when the connection goes back to the pool. Use :meth:`transaction` where
        several statements must commit together.
        """
        return self.engine.connect()

    def transaction(self) -> Any:
        """``async with store.transaction() as conn``: commits on exit, rolls back on error."""
        return transaction(self.engine)

    async def aclose(self) -> None:
        """Close every pooled connection; a workspace's view leaves them to its owner."""
        if self._owns_engine:
            await self.engine.dispose()


def valid_workspace(key: str) -> bool:
    """Whether ``key`` has a workspace key's shape (``default``, ``slack:…``, ``teams:…``):
    a bare team or tenant id passed by mistake would make a workspace of its own."""
    if key == DEFAULT_WORKSPACE:
        return True
    platform, _, ident = key.partition(":")
    return platform in ("slack", "teams") and bool(ident) and ident == ident.strip()


async def rowcount(conn: AsyncConnection, statement: Any) -> int:
    """Run an UPDATE or DELETE and say how many rows it changed."""
    result = await conn.execute(statement)
    return int(result.rowcount or 0)


async def inserted(conn: AsyncConnection, statement: Any, key: Any) -> bool:
    """Run an INSERT ... ON CONFLICT DO NOTHING; True when it wrote the row.

    RETURNING tells, where rowcount cannot: the psycopg driver reports -1 for an INSERT.
    """
    return (await conn.execute(statement.returning(key))).first() is not None
