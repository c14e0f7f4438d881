"""The ``award_recipients`` rows: each award's recipients as indexable columns, kept in
step with ``awards.recipients`` (a JSON list of bot.awards.record.Party documents).

Every statement that writes ``awards.recipients`` calls :func:`replace_recipients` in the
same transaction (bot.store.award_records, bot.store.sync_leases), and migration 0011
fills the table from the awards there were. The store reads the JSON as plain dicts and
never imports the core.

What "by Quantive team" can honestly mean: a team recipient counts for its own team. A
person's teams are not something the bot knows. A Slack user group that matches a
Quantive team by name becomes that team as a recipient (handlers.slack.give_flow), and a
group that matches none is given to its members one by one, with no team recorded, and
Quantive's API is never asked whose team a person is in. So a person's ``team_id`` is
NULL, and the dashboard's team figures count awards given to teams.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import award_recipients

_r = award_recipients.c


def recipient_rows(
    workspace: str, award_id: int, recipients_json: str | None
) -> list[dict[str, Any]]:
    """The ``award_recipients`` rows of one award's ``recipients`` document. A document
    that is not a list of objects (none was ever written, but a hand-edited row could
    hold one) has no rows, rather than failing the write of the award."""
    try:
        parties = json.loads(recipients_json or "[]")
    except ValueError:
        return []
    if not isinstance(parties, list):
        return []
    rows = []
    for position, party in enumerate(parties):
        if not isinstance(party, dict):
            continue
        is_team = bool(party.get("is_team"))
        quantive_id = party.get("quantive_id") or None
        name = str(party.get("name") or "")
        rows.append(
            {
                "workspace": workspace,
                "award_id": award_id,
                "position": position,
                "quantive_id": quantive_id,
                "name": name,
                "is_team": int(is_team),
                # Only a team recipient's team is known (see the module's docstring).
                "team_id": quantive_id if is_team else None,
                "team_name": name if is_team else None,
            }
        )
    return rows


async def insert_recipients(
    conn: AsyncConnection, workspace: str, award_id: int, recipients_json: str | None
) -> None:
    """Write the recipient rows of an award just inserted, in its transaction."""
    rows = recipient_rows(workspace, award_id, recipients_json)
    if rows:
        await conn.execute(insert(award_recipients), rows)


async def replace_recipients(
    conn: AsyncConnection, workspace: str, award_id: int, recipients_json: str | None
) -> None:
    """Make one award's recipient rows match its document (a revoke drops one); run it
    in the transaction that updates the award, once the update found it ``workspace``'s."""
    await forget_recipients(conn, workspace, _r.award_id == award_id)
    await insert_recipients(conn, workspace, award_id, recipients_json)


async def forget_recipients(
    conn: AsyncConnection, workspace: str, which: ColumnElement[bool]
) -> None:
    """Delete the recipient rows ``which`` selects, before their awards are deleted:
    SQLite enforces the foreign key's cascade only on connections that ask for it."""
    await conn.execute(delete(award_recipients).where(_r.workspace == workspace, which))
