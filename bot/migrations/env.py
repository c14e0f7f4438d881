"""Alembic's environment: run by ``python -m bot migrate`` (bot.store.schema), which hands
over an open connection in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
# bot.store.schema.migrate holds the transaction (and, on PostgreSQL, the lock that keeps
# two release processes from migrating at once).
with context.begin_transaction():
    context.run_migrations()
