"""One award record: ``awards`` holds every award the bot gave or showed, replacing the
display views (old ``awards``) and ``given_awards``; each platform's message references
move to their own table; decision claims name who decided; the outbox keeps no view.

Every award is kept: each give (``given_awards``, or an outbox row older than it) and
each award shown only in a message becomes one record, with what the old rows knew.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _rows(name: str) -> list[dict[str, Any]]:
    result = op.get_bind().execute(sa.text(f"SELECT * FROM {name}"))
    return [dict(r._mapping) for r in result]


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _party(data: Any, platform: str | None) -> dict[str, Any]:
    data = data if isinstance(data, dict) else {}
    chat = data.get("chat_user_id") or None
    return {
        "name": str(data.get("name") or "someone"),
        "chat_user_id": chat,
        "platform": platform if chat else None,
        "quantive_id": data.get("quantive_id") or None,
        "is_team": bool(data.get("is_team")),
        "email": data.get("email") or None,
    }


def _decider(chat_id: str, name: str, status: str) -> dict[str, Any] | None:
    if status == "handled":
        return {"name": "", "email": "", "chat_user_id": "", "via": "quantive"}
    if not chat_id and not name:
        return None
    # Before this release Slack approvers were kept by chat id and Teams ones by name too.
    via = "teams" if chat_id.startswith("29:") or (name and not chat_id) else "slack"
    return {"name": name, "email": "", "chat_user_id": chat_id, "via": via}


def _record(
    key: str | None, view: dict[str, Any], given: dict[str, Any] | None, request: dict[str, Any]
) -> dict[str, Any]:
    """One new ``awards`` row from an old view, an old give and an old assign request."""
    given = given or {}
    platform = given.get("platform") or view.get("platform") or None
    giver = _party(view.get("giver"), platform)
    if given:
        giver.update(
            name=given.get("giver_name") or giver["name"],
            email=given.get("giver_email") or giver["email"],
            chat_user_id=given.get("giver_chat_id") or giver["chat_user_id"],
        )
        giver["platform"] = platform if giver["chat_user_id"] else None
    shown = [_party(p, platform) for p in view.get("recipients") or []]
    listed = json.loads(given["recipients"]) if given.get("recipients") else []
    recipients = shown or [_party(p, platform) for p in listed]
    status = given.get("status") or view.get("status") or "pending"
    decided_by = (view.get("decided_by") or "") if isinstance(view.get("decided_by"), str) else ""
    name = view.get("decided_by_name") or ""
    old = given.get("decided_by") or ""
    if old and not name and old != decided_by:
        name = old  # a Teams approver's name, kept where Slack kept an id
    decider = _decider(decided_by or (old if old.startswith(("U", "W")) else ""), name, status)
    return {
        "assignment_id": key,
        "badge_id": str(
            view.get("badge_id") or given.get("badge_id") or request.get("badge_id") or ""
        ),
        "badge_name": str(
            view.get("badge_name") or given.get("badge_name") or view.get("badge") or "a badge"
        ),
        "badge_icon": str(view.get("badge_icon") or ""),
        "giver": json.dumps(giver),
        "giver_chat_id": giver["chat_user_id"] or "",
        "recipients": json.dumps(recipients),
        "recipient_count": len(recipients),
        "comment": str(given.get("comment") or view.get("comment") or request.get("comment") or ""),
        "status": status,
        "platform": platform,
        "origin_channel": view.get("origin_channel"),
        "given_at": given.get("given_at"),
        "assigned_on": view.get("assigned_on"),
        "decided_at": given.get("decided_at"),
        "decided_by": json.dumps(decider) if decider else None,
        "decided_by_email": "",
        "reason": str(view.get("reason") or ""),
        "updated_at": time.time(),
    }


#: An outbox row's state as a record's status (a delivered row reads its view's status).
_OUTBOX_STATUS = {
    "held": "held",
    "rejected": "rejected",
    "refused": "refused",
    "unknown": "unknown",
}


def _real(key: str | None) -> str | None:
    """An id Quantive gave, or None for one the bot made up (``outbox-N``)."""
    return None if not key or key.startswith("outbox-") else key


def upgrade() -> None:
    """Build the award records from the old tables, then drop those."""
    views = {r["assignment_id"]: _json(r["view"]) for r in _rows("awards")}
    given = {r["give_id"]: r for r in _rows("given_awards")}
    outbox = _rows("award_outbox")
    messages = _rows("award_messages")
    claims = _rows("decision_claims")
    records: list[dict[str, Any]] = []
    used: set[str] = set()
    for row in outbox:
        give = given.get(row["id"])
        own = _json(row["view"])
        held_key = f"held-{row['id']}"
        if held_key in views or row["state"] == "held":
            key, made_as = (
                held_key,
                _real((give or {}).get("assignment_id") or row["assignment_id"]),
            )
            made_as = None if made_as == held_key else made_as
        else:
            key, made_as = _real((give or {}).get("assignment_id") or row["assignment_id"]), None
        view = {**own, **views.get(key or "", {})}
        used.update(k for k in (key, made_as) if k)
        record = _record(key, view, give, _json(row["request"]))
        if give is None:
            record["given_at"] = row["updated_at"]
        if give is None or (row["state"] == "delivered" and record["status"] == "sending"):
            # What the outbox knew is the truth for a give that given_awards never had (from
            # before it) or had not caught up with (a crash between the two writes).
            record["status"] = _OUTBOX_STATUS.get(row["state"], "sending")
            if row["state"] == "delivered":
                record["status"] = view.get("status") or "pending"
        record.update(give_id=row["id"], quantive_assignment_id=made_as)
        records.append(record)
    for key, view in views.items():
        if key not in used and _real(key):
            records.append(
                {**_record(key, view, None, {}), "give_id": None, "quantive_assignment_id": None}
            )
    for index in ("given_awards_by_giver", "given_awards_by_time", "given_awards_by_assignment"):
        op.drop_index(index, "given_awards")
    op.drop_table("given_awards")
    op.drop_index("award_messages_by_assignment", "award_messages")
    op.drop_table("award_messages")
    op.drop_table("awards")
    awards = op.create_table(
        "awards",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("assignment_id", sa.Text, unique=True),
        sa.Column("quantive_assignment_id", sa.Text),
        sa.Column("give_id", sa.Integer, unique=True),
        sa.Column("platform", sa.Text),
        sa.Column("badge_id", sa.Text, nullable=False),
        sa.Column("badge_name", sa.Text, nullable=False),
        sa.Column("badge_icon", sa.Text, nullable=False, server_default=""),
        sa.Column("giver", sa.Text, nullable=False),
        sa.Column("giver_chat_id", sa.Text, nullable=False, server_default=""),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("recipient_count", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("origin_channel", sa.Text),
        sa.Column("given_at", sa.Float),
        sa.Column("assigned_on", sa.Text),
        sa.Column("decided_at", sa.Float),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_by_email", sa.Text, nullable=False, server_default=""),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.Float, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("awards_by_giver", "awards", ["platform", "giver_chat_id", "given_at"])
    op.create_index("awards_by_time", "awards", ["given_at"])
    op.create_index("awards_by_quantive_id", "awards", ["quantive_assignment_id"])
    if records:
        op.bulk_insert(awards, records)
    slack = op.create_table(
        "slack_messages",
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("ts", sa.Text, primary_key=True),
        sa.Column("assignment_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
    )
    op.create_index("slack_messages_by_assignment", "slack_messages", ["assignment_id"])
    teams = op.create_table(
        "teams_messages",
        sa.Column("conversation_id", sa.Text, primary_key=True),
        sa.Column("activity_id", sa.Text, primary_key=True),
        sa.Column("assignment_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
    )
    op.create_index("teams_messages_by_assignment", "teams_messages", ["assignment_id"])
    on_slack = [m for m in messages if (m.get("platform") or "slack") == "slack"]
    on_teams = [m for m in messages if m.get("platform") == "teams"]
    op.bulk_insert(
        slack, [{k: m[k] for k in ("channel", "ts", "assignment_id", "kind")} for m in on_slack]
    )
    op.bulk_insert(
        teams,
        [
            {
                "conversation_id": m["channel"],
                "activity_id": m["ts"],
                "assignment_id": m["assignment_id"],
                "kind": m["kind"],
            }
            for m in on_teams
        ],
    )
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+), not a batch copy: the copy
    # would lose the table's AUTOINCREMENT, and with it the rule that a give id is never
    # used twice.
    op.drop_column("award_outbox", "view")
    op.add_column(
        "decision_claims", sa.Column("decider", sa.Text, nullable=False, server_default="{}")
    )
    table = sa.table("decision_claims", sa.column("assignment_id"), sa.column("decider"))
    for claim in claims:
        view = views.get(claim["assignment_id"], {})
        decider = _decider(claim["decided_by"], view.get("decided_by_name") or "", "")
        op.execute(
            table.update()
            .where(table.c.assignment_id == claim["assignment_id"])
            .values(decider=json.dumps(decider or {}))
        )


def downgrade() -> None:
    """Not supported: the old tables held display copies that the record replaced."""
    raise RuntimeError("0006 cannot be downgraded; restore a backup taken before it")
