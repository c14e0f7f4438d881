"""Each workspace's connection to Quantive: which account, at which URL, with which token.

The store keeps the token only as ciphertext: the caller encrypts it with
bot.secrets.SecretBox before saving and decrypts it after reading, so a clear token never
reaches the database, and ``token_last4`` is all an admin is shown of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select

from bot.store.database import Database, rowcount
from bot.store.tables import quantive_connections

_t = quantive_connections.c


@dataclass(frozen=True)
class ConnectionRow:
    """A workspace's Quantive connection as stored: ``token_encrypted`` is SecretBox's
    ciphertext; ``checked_at`` is when the token last worked (None: never checked)."""

    workspace: str
    quantive_url: str
    account_id: str
    token_encrypted: str
    token_last4: str
    connected_by: str
    checked_at: float | None = None
    updated_at: float = 0.0


_COLUMNS = (
    _t.workspace,
    _t.quantive_url,
    _t.account_id,
    _t.token_encrypted,
    _t.token_last4,
    _t.connected_by,
    _t.checked_at,
    _t.updated_at,
)


class QuantiveConnections(Database):
    """The ``quantive_connections`` table."""

    async def save_connection(self, row: ConnectionRow) -> None:
        """Keep (or replace) this workspace's connection. The row's own ``workspace`` must
        be this store's: a connection saved through the wrong view would hand one
        workspace's Quantive account to another."""
        if row.workspace != self.workspace:
            raise ValueError(
                f"a connection of {row.workspace!r} cannot be saved in {self.workspace!r}"
            )
        await self._upsert(
            quantive_connections,
            {
                "quantive_url": row.quantive_url,
                "account_id": row.account_id,
                "token_encrypted": row.token_encrypted,
                "token_last4": row.token_last4,
                "connected_by": row.connected_by,
                "checked_at": row.checked_at,
                "updated_at": time.time(),
            },
        )

    async def connection(self) -> ConnectionRow | None:
        """This workspace's connection, if an admin made one."""
        query = select(*_COLUMNS).where(self._mine(quantive_connections))
        async with self.connect() as conn:
            row = (await conn.execute(query)).first()
        return ConnectionRow(*row) if row else None

    async def delete_connection(self) -> bool:
        """Forget this workspace's connection; False when it had none."""
        statement = delete(quantive_connections).where(self._mine(quantive_connections))
        async with self.connect() as conn:
            return await rowcount(conn, statement) == 1

    async def all_connections(self) -> list[ConnectionRow]:
        """Every workspace's connection, by workspace key. Crosses workspaces on purpose:
        for the processes that serve them all (the worker, the clock, the sync)."""
        query = select(*_COLUMNS).order_by(_t.workspace)
        async with self.connect() as conn:
            return [ConnectionRow(*row) for row in (await conn.execute(query)).all()]

    async def connected_workspaces(self) -> list[str]:
        """The keys of the workspaces connected to Quantive, sorted. Crosses workspaces
        on purpose, as :meth:`all_connections` does."""
        query = select(_t.workspace).order_by(_t.workspace)
        async with self.connect() as conn:
            return list((await conn.execute(query)).scalars().all())
