"""An in-memory :class:`~bot.connections.ConnectionStore` for the unit tests of
bot.connections (the real one is bot.store's ``quantive_connections`` table)."""

from __future__ import annotations

from bot.store.connections import ConnectionRow
from bot.workspaces import DEFAULT_WORKSPACE


class MemoryConnections:
    """Connections by workspace key, in memory, shared by every scoped copy."""

    def __init__(
        self,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        rows: dict[str, ConnectionRow] | None = None,
    ) -> None:
        self.workspace = workspace
        # Shared by every scoped copy, as one database is.
        self._rows: dict[str, ConnectionRow] = {} if rows is None else rows

    def for_workspace(self, key: str) -> MemoryConnections:
        """This store, scoped to the workspace ``key``."""
        return MemoryConnections(workspace=key, rows=self._rows)

    async def save_connection(self, row: ConnectionRow) -> None:
        """Insert or replace the scoped workspace's connection."""
        if row.workspace != self.workspace:
            raise ValueError("a connection is saved through its own workspace's store")
        rows = self._load()
        rows[row.workspace] = row
        self._dump(rows)

    async def connection(self) -> ConnectionRow | None:
        """The scoped workspace's connection, if it has one."""
        return self._load().get(self.workspace)

    async def delete_connection(self) -> bool:
        """Forget the scoped workspace's connection; whether there was one."""
        rows = self._load()
        if rows.pop(self.workspace, None) is None:
            return False
        self._dump(rows)
        return True

    async def all_connections(self) -> list[ConnectionRow]:
        """Every workspace's connection."""
        return list(self._load().values())

    async def connected_workspaces(self) -> list[str]:
        """The key of every workspace that has a connection."""
        return sorted(self._load())

    def _load(self) -> dict[str, ConnectionRow]:
        return self._rows

    def _dump(self, rows: dict[str, ConnectionRow]) -> None:
        """Nothing to write: the rows are the shared dict itself."""
