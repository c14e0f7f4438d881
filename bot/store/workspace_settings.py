"""Settings an admin changed for one workspace (the approval mode, the give limits, …):
one JSON value per name. A name without a row keeps the deployment's setting, so the
caller layers these over bot.settings; the store does not know what the names mean."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import delete, select

from bot.store.database import Database, rowcount
from bot.store.tables import workspace_settings

_t = workspace_settings.c


class WorkspaceSettings(Database):
    """The ``workspace_settings`` table."""

    async def workspace_settings(self) -> dict[str, Any]:
        """This workspace's settings, by name, with their JSON values decoded."""
        query = select(_t.name, _t.value).where(self._mine(workspace_settings))
        async with self.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {name: json.loads(value) for name, value in rows}

    async def set_workspace_setting(self, name: str, value: Any, by: str) -> None:
        """Set one setting of this workspace to ``value`` (anything JSON can hold), noting
        who changed it."""
        await self._upsert(
            workspace_settings,
            {"name": name, "value": json.dumps(value), "updated_by": by, "updated_at": time.time()},
        )

    async def clear_workspace_setting(self, name: str) -> bool:
        """Drop one setting, so the deployment's applies again; False when it was not set."""
        statement = delete(workspace_settings).where(
            self._mine(workspace_settings), _t.name == name
        )
        async with self.connect() as conn:
            return await rowcount(conn, statement) == 1
