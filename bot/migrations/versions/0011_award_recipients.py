"""The dashboard's figures on indexed columns: ``award_recipients`` (each recipient of
each award as columns, with the award's give time, status and badge; filled here from the
awards there are), and indexes on ``awards`` that lead with the workspace for a period
(covering the columns its figures group by), a status or a badge within one, and a
decision time. ``awards_by_time`` (workspace, given_at) and ``awards_by_status``
(workspace, status) give way to the new indexes that start with the same columns.

The backfill reads ``awards.recipients`` (JSON) a page at a time in Python, the same
way on SQLite and PostgreSQL, with the rows bot.store.award_recipients writes from then
on. Downgrade drops the table and puts the 0010 indexes back; nothing else is lost, as
the awards keep their JSON.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: Awards read per page of the backfill: bounded memory on a database of years.
PAGE = 5000

#: The new indexes on ``awards``: name to columns.
AWARD_INDEXES = {
    "awards_by_time_figures": [
        "workspace", "given_at", "status", "badge_id", "platform", "giver_chat_id",
    ],
    "awards_by_status_time": ["workspace", "status", "given_at"],
    "awards_by_badge_time": ["workspace", "badge_id", "given_at"],
    "awards_by_decision_time": ["workspace", "decided_at", "status", "given_at", "badge_id"],
}  # fmt: skip
#: The 0010 indexes they replace: name to columns.
OLD_INDEXES = {
    "awards_by_time": ["workspace", "given_at"],
    "awards_by_status": ["workspace", "status"],
}


def recipient_rows(award: Any) -> list[dict[str, Any]]:
    """The rows of one award's recipients, as bot.store.award_recipients writes them
    (copied here, because a migration must not change when the code does)."""
    try:
        parties = json.loads(award.recipients or "[]")
    except ValueError:
        return []
    rows = []
    for position, party in enumerate(parties if isinstance(parties, list) else []):
        if not isinstance(party, dict):
            continue
        is_team = bool(party.get("is_team"))
        quantive_id = party.get("quantive_id") or None
        name = str(party.get("name") or "")
        rows.append(
            {
                "workspace": award.workspace,
                "award_id": award.id,
                "position": position,
                "quantive_id": quantive_id,
                "name": name,
                "is_team": int(is_team),
                "team_id": quantive_id if is_team else None,
                "team_name": name if is_team else None,
                "given_at": award.given_at,
                "status": award.status,
                "badge_id": award.badge_id,
            }
        )
    return rows


def upgrade() -> None:
    """Create ``award_recipients``, fill it from every award, and index both tables."""
    recipients = op.create_table(
        "award_recipients",
        sa.Column("workspace", sa.Text, nullable=False),
        sa.Column(
            "award_id",
            sa.Integer,
            sa.ForeignKey("awards.id", ondelete="CASCADE", name="award_recipients_award_id_fkey"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("quantive_id", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("is_team", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("team_id", sa.Text),
        sa.Column("team_name", sa.Text),
        sa.Column("given_at", sa.Float),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("badge_id", sa.Text, nullable=False),
    )
    bind = op.get_bind()
    columns = ("workspace", "recipients", "given_at", "status", "badge_id")
    awards = sa.table("awards", sa.column("id", sa.Integer), *(sa.column(c) for c in columns))
    after = 0
    while True:
        page = bind.execute(
            sa.select(awards).where(awards.c.id > after).order_by(awards.c.id).limit(PAGE)
        ).all()
        if not page:
            break
        rows = [r for award in page for r in recipient_rows(award)]
        if rows:
            op.bulk_insert(recipients, rows)
        after = page[-1].id
    # The indexes come after the rows: building one at the end is quicker than keeping
    # it up to date through every insert of the backfill.
    op.create_index("award_recipients_by_time", "award_recipients", ["workspace", "given_at"])
    op.create_index("award_recipients_by_person", "award_recipients", ["workspace", "quantive_id"])
    op.create_index("award_recipients_by_team", "award_recipients", ["workspace", "team_id"])
    for name, columns in AWARD_INDEXES.items():
        op.create_index(name, "awards", columns)
    for name in OLD_INDEXES:
        op.drop_index(name, "awards")
    if bind.dialect.name == "postgresql":
        # Until autovacuum gets to them, the planner would guess at the new table and
        # indexes: a team filter's first page took 12 s in the benchmark, 0.2 s after this.
        op.execute("ANALYZE awards")
        op.execute("ANALYZE award_recipients")


def downgrade() -> None:
    """Drop ``award_recipients`` and the new indexes; put the 0010 ones back."""
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "awards", columns)
    for name in AWARD_INDEXES:
        op.drop_index(name, "awards")
    op.drop_index("award_recipients_by_team", "award_recipients")
    op.drop_index("award_recipients_by_person", "award_recipients")
    op.drop_index("award_recipients_by_time", "award_recipients")
    op.drop_table("award_recipients")
