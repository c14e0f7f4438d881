"""The HR export: one row per award made or requested through the bot, as CSV (the csv
module's quoting, so commas, quotes and newlines in comments come back intact) or JSON
lines, streamed from the database row by row. CSV is for opening in a spreadsheet, so a
cell that a spreadsheet would run as a formula is neutralised (:func:`spreadsheet_safe`);
JSON lines keep every text exactly, for programs. No token and no id of the bot's own tables
is ever written; an award the bot still holds for an approver, or one it recognised only
by its holders, has no assignment id.

Awards made in Quantive's web app are not in it: Quantive shows them only as current
holders, which :func:`write_holders` exports instead.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TextIO

from api import QuantiveClient
from bot.awards import Award, awards_given
from bot.store import Store

Format = Literal["csv", "jsonl"]

COLUMNS = [
    "assignment_id",
    "badge",
    "giver_email",
    "recipient_emails",
    "team_names",
    "comment",
    "status",
    "given_at",
    "decided_at",
    "decided_by",
    "platform",
]
HOLDER_COLUMNS = ["badge", "holder", "holder_email", "kind"]

#: The ledger's statuses as HR reads them: a give not yet confirmed is pending, and one
#: Quantive refused was rejected.
STATUS = {"sending": "pending", "refused": "rejected"}


#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a
#: formula (OWASP's CSV injection list); a comment or a Quantive name can start with any.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: text starting with a formula character gets
    OWASP's leading ``'``, so that spreadsheets read it as text; anything else is
    unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def day_start(text: str | None, *, end: bool = False) -> float | None:
    """A ``YYYY-MM-DD`` date as the UTC timestamp of its start (of the next day with
    ``end``, so an "until" date is included); None for no date. Raises ValueError."""
    if not text:
        return None
    day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    return (day + timedelta(days=1 if end else 0)).timestamp()


def _when(stamp: float | None) -> str:
    if stamp is None:
        return ""
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def export_row(award: Award, decided_by: str) -> dict[str, Any]:
    """One award as an export row."""
    people = [r for r in award.recipients if not r.is_team]
    teams = [r for r in award.recipients if r.is_team]
    return {
        "assignment_id": award.made_in_quantive or "",
        "badge": award.badge_name,
        "giver_email": award.giver.email or "",
        "recipient_emails": "; ".join(r.email or r.name for r in people),
        "team_names": "; ".join(r.name for r in teams),
        "comment": award.comment,
        "status": STATUS.get(award.status, award.status),
        "given_at": _when(award.given_at),
        "decided_at": _when(award.decided_at),
        "decided_by": decided_by,
        "platform": award.platform or "",
    }


class _Writer:
    def __init__(self, out: TextIO, fmt: Format, columns: list[str]) -> None:
        self._out = out
        self._fmt = fmt
        self._csv = csv.DictWriter(out, fieldnames=columns) if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writeheader()

    def row(self, row: dict[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
        else:
            self._out.write(json.dumps(row, ensure_ascii=False) + "\n")


async def write_export(
    store: Store,
    out: TextIO,
    *,
    since: float | None = None,
    until: float | None = None,
    fmt: Format = "csv",
) -> int:
    """Write the awards given in ``[since, until)``; returns how many rows."""
    writer = _Writer(out, fmt, COLUMNS)
    emails: dict[tuple[str, str], str] = {}
    count = 0
    async for award in awards_given(store, since, until):
        writer.row(export_row(award, await _approver(store, award, emails)))
        count += 1
    return count


async def _approver(store: Store, award: Award, emails: dict[tuple[str, str], str]) -> str:
    """Who decided, by email: the record's, else the bot's identity of their chat id (a
    record migrated from before decisions named their email; approvers are few:
    cached)."""
    decider = award.decided_by
    if decider is None or decider.via == "quantive":
        return ""
    if decider.email:
        return decider.email
    key = (decider.via, decider.chat_user_id)
    if key not in emails:
        identity = await store.cached_identity(
            decider.chat_user_id, float("inf"), platform=decider.via
        )
        emails[key] = identity.email if identity else decider.name or decider.chat_user_id
    return emails[key]


async def write_holders(quantive: QuantiveClient, out: TextIO, fmt: Format = "csv") -> int:
    """Who holds each badge now, from Quantive: the only view of awards made outside the
    bot (Quantive lists holders without dates or givers)."""
    writer = _Writer(out, fmt, HOLDER_COLUMNS)
    count = 0
    for badge in await quantive.list_badges():
        holders = await quantive.badge_holders(badge.id)
        for user in holders.users:
            writer.row(
                {
                    "badge": badge.name,
                    "holder": user.display_name,
                    "holder_email": user.email,
                    "kind": "person",
                }
            )
            count += 1
        for team in holders.teams:
            writer.row(
                {"badge": badge.name, "holder": team.name, "holder_email": "", "kind": "team"}
            )
            count += 1
    return count
