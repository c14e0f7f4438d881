"""The ``award_recipients`` rows: each award's recipients as indexable columns, kept in
step with ``awards.recipients`` (a JSON list of bot.awards.record.Party documents).

Every statement that inserts or updates an award calls :func:`replace_recipients` in the
same transaction (bot.store.award_records, bot.store.sync_leases), and migration 0011
fills the table from the awards there were. Each row also copies its award's
``given_at``, ``status`` and ``badge_id``, so the dashboard's counts per person need no
join. The store reads the JSON as plain dicts and never imports the core.

What "by Quantive team" can honestly mean: a team recipient counts for its own team. A
person's teams are not something the bot knows. A Slack user group that matches a
Quantive team by name becomes that team as a recipient (handlers.slack.give_flow), and a
group that matches none is given to its members one by one, with no team recorded, and
Quantive's API is never asked whose team a person is in. So a person's ``team_id`` is
NULL, and the dashboard's team figures count awards given to teams.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import award_recipients, awards

_r = award_recipients.c


#: The award's columns that each recipient row copies.
COPIED = ("given_at", "status", "badge_id")


def recipient_rows(workspace: str, award: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``award_recipients`` rows of one award (an ``awards`` row with its ``id``). A
    ``recipients`` document that is not a list of objects (none was ever written, but a
    hand-edited row could hold one) has no rows, rather than failing the award's write."""
    try:
        parties = json.loads(award.get("recipients") or "[]")
    except ValueError:
        return []
    copied = {name: award.get(name) for name in COPIED}
    rows = []
    for position, party in enumerate(parties if isinstance(parties, list) else []):
        if not isinstance(party, dict):
            continue
        is_team = bool(party.get("is_team"))
        quantive_id = party.get("quantive_id") or None
        name = str(party.get("name") or "")
        rows.append(
            {
                "workspace": workspace,
                "award_id": award["id"],
                "position": position,
                "quantive_id": quantive_id,
                "name": name,
                "is_team": int(is_team),
                # Only a team recipient's team is known (see the module's docstring).
                "team_id": quantive_id if is_team else None,
                "team_name": name if is_team else None,
                **copied,
            }
        )
    return rows


async def insert_recipients(
    conn: AsyncConnection, workspace: str, award: Mapping[str, Any]
) -> None:
    """Write the recipient rows of an award just inserted, in its transaction."""
    rows = recipient_rows(workspace, award)
    if rows:
        await conn.execute(insert(award_recipients), rows)


async def replace_recipients(conn: AsyncConnection, workspace: str, award_id: int) -> None:
    """Make an award's recipient rows match the award as it is now stored; run it in the
    transaction that updated the award, once the update found it ``workspace``'s. The
    award is read back rather than taken from the caller, so that an update of any of
    its columns, recipients or not, leaves the copies right."""
    a = awards.c
    query = select(a.id, a.recipients, *(a[name] for name in COPIED)).where(
        a.workspace == workspace, a.id == award_id
    )
    stored = (await conn.execute(query)).first()
    await forget_recipients(conn, workspace, _r.award_id == award_id)
    if stored is not None:
        await insert_recipients(conn, workspace, stored._mapping)


async def forget_recipients(
    conn: AsyncConnection, workspace: str, which: ColumnElement[bool]
) -> None:
    """Delete the recipient rows ``which`` selects, before their awards are deleted:
    SQLite enforces the foreign key's cascade only on connections that ask for it."""
    await conn.execute(delete(award_recipients).where(_r.workspace == workspace, which))
