"""TEMPORARY, until ``bot.store``'s ``quantive_connections`` table reaches this branch:
a :class:`~bot.connections.ConnectionStore` kept in memory, or in a JSON file for the
command line. Delete this module when ``open_connection_store`` (bot.cli.connections)
opens the real Store.

Tokens in it are as encrypted as in the table: the file holds only Fernet ciphertexts
and last fours, and is written owner-only all the same.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from bot.connections import ConnectionRow
from bot.workspaces import DEFAULT_WORKSPACE


class FileConnectionStore:
    """Connections by workspace key, in memory (``path`` None) or in a JSON file that
    every call reads and every change rewrites whole (one operator, a few rows)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        rows: dict[str, ConnectionRow] | None = None,
    ) -> None:
        self.path = path
        self.workspace = workspace
        # Shared by every scoped copy, as one database is.
        self._rows: dict[str, ConnectionRow] = {} if rows is None else rows

    def for_workspace(self, key: str) -> FileConnectionStore:
        """This store, scoped to the workspace ``key``."""
        return FileConnectionStore(self.path, workspace=key, rows=self._rows)

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
        if self.path is not None:
            self._rows.clear()
            if self.path.exists():
                for item in json.loads(self.path.read_text(encoding="utf-8")):
                    row = ConnectionRow(**item)
                    self._rows[row.workspace] = row
        return self._rows

    def _dump(self, rows: dict[str, ConnectionRow]) -> None:
        if self.path is None:
            return
        text = json.dumps([dataclasses.asdict(r) for r in rows.values()], indent=2)
        # Written beside, then renamed: a crash never leaves half a file.
        partial = self.path.with_name(self.path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, self.path)
