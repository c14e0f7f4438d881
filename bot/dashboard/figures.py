"""The dashboard's figures for one workspace and period: typed, counted in SQL by the
store (bot.store.dashboard, which says which awards each figure counts), and shaped here.
Nothing here reads awards one by one; the front end (handlers/dashboard) only draws.

Core code: no chat SDK, no web framework.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from bot.dashboard.periods import Period, custom_period, named_period, period_weeks
from bot.store import FigureScope, Store
from bot.store.dashboard import CountedRow

__all__ = [
    "CommentRow",
    "Count",
    "Figures",
    "Participation",
    "Period",
    "Queue",
    "WeekBar",
    "custom_period",
    "dashboard_figures",
    "dashboard_filters",
    "named_period",
]

#: Which bar each status of bot.awards.record.Status is drawn in: sent or waiting awards
#: are pending, refused ones (Quantive said no) are with the rejected; ``handled`` (left
#: Quantive's queue, outcome unknown) and ``unknown`` are in neither, see WeekBar.other.
BAR_OF_STATUS = {
    "approved": "approved",
    "sending": "pending",
    "pending": "pending",
    "held": "pending",
    "rejected": "rejected",
    "refused": "rejected",
}


@dataclass(frozen=True)
class WeekBar:
    """One ISO week's awards by outcome. ``other`` (added to the agreed API) counts the
    awards whose outcome the bot does not know (``handled``, ``unknown``), so that a
    week's four numbers add up to its awards."""

    week_start: date
    approved: int
    pending: int
    rejected: int
    other: int = 0


@dataclass(frozen=True)
class Count:
    """One line of a count: a badge, team, person or giver (``key`` is its id: a badge
    id, a Quantive id, or ``<platform>:<chat id>`` for a giver), its label as the newest
    award names it, and how many awards."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Participation:
    """How many people gave, and how many people (not teams) received, at least once in
    the period, out of the people the bot knows: the distinct Quantive users of the
    workspace's identity cache (everyone who used the bot or was given to through it)."""

    givers: int
    receivers: int
    known_people: int


@dataclass(frozen=True)
class Queue:
    """The approval queue: awards waiting for an approver now (pending in Quantive or
    held by the bot) and when the oldest was given; of the awards an approver decided in
    the period, the median seconds from giving to deciding and the share rejected (None
    when none was decided)."""

    waiting: int
    oldest_given_at: float | None
    median_decision_seconds: float | None
    rejected_share: float | None


@dataclass(frozen=True)
class CommentRow:
    """A comment as it was given: raw text (the page escapes it), and names."""

    given_at: float
    badge_name: str
    giver: str
    recipients: str
    comment: str


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one period and filter.

    ``total`` is every award given in the period, whatever became of it (the export's
    rows); the week bars add up to it. ``counted`` (added to the agreed API) is how many
    of them the other figures count: all but the rejected and refused ones.
    ``by_badge`` and ``by_team`` are whole; the top lists and comments hold ``limit``.
    """

    period: Period
    total: int
    weeks: list[WeekBar]
    by_badge: list[Count]
    by_team: list[Count]
    top_people: list[Count]
    top_teams: list[Count]
    top_givers: list[Count]
    participation: Participation
    queue: Queue
    comments: list[CommentRow]
    counted: int = 0


async def dashboard_figures(
    store: Store,
    period: Period,
    *,
    badge_id: str | None = None,
    team_id: str | None = None,
    limit: int = 10,
) -> Figures:
    """The figures of ``store``'s workspace for ``period``, narrowed to one badge and/or
    one Quantive team (the awards with a recipient counting for it) when given; ``limit``
    caps the top lists and the comments. Weeks are ISO weeks in ``period.tz``."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    weeks = period_weeks(period)
    scope = FigureScope(period.start.timestamp(), period.end.timestamp(), badge_id, team_id)
    rows = await store.dashboard_rows(scope, [(lo, hi) for _, lo, hi in weeks], limit)
    bars = [dict.fromkeys(("approved", "pending", "rejected", "other"), 0) for _ in weeks]
    for index, status, count in rows.weeks:
        bars[index][BAR_OF_STATUS.get(status, "other")] += count
    week_bars = [WeekBar(monday, **bar) for (monday, _, _), bar in zip(weeks, bars, strict=True)]
    total = sum(sum(bar.values()) for bar in bars)
    return Figures(
        period=period,
        total=total,
        weeks=week_bars,
        by_badge=_counts(rows.by_badge),
        by_team=_counts(rows.by_team),
        top_people=_counts(rows.top_people),
        top_teams=_counts(rows.top_teams),
        top_givers=[Count(r.key, _name(r.label, r.key), r.count) for r in rows.top_givers],
        participation=Participation(rows.givers, rows.receivers, rows.known_people),
        queue=Queue(
            waiting=rows.waiting,
            oldest_given_at=rows.oldest_waiting,
            median_decision_seconds=rows.median_decision_seconds,
            rejected_share=rows.rejected / rows.decided if rows.decided else None,
        ),
        comments=[_comment(row) for row in rows.comments],
        counted=total - sum(bar["rejected"] for bar in bars),
    )


async def dashboard_filters(store: Store) -> tuple[list[Count], list[Count]]:
    """The badges and the Quantive teams that the workspace's given awards have, with how
    many awards each (any status, any time), most first: the filter menus' choices."""
    badges, teams = await store.dashboard_filter_rows()
    return _counts(badges), _counts(teams)


def _counts(rows: list[CountedRow]) -> list[Count]:
    return [Count(r.key, r.label, r.count) for r in rows]


def _name(document: str | None, fallback: str) -> str:
    """The ``name`` of a Party JSON document, or ``fallback`` if it has none."""
    try:
        party = json.loads(document or "{}")
    except ValueError:
        return fallback
    name = party.get("name") if isinstance(party, dict) else None
    return str(name) if name else fallback


def _comment(row: dict[str, object]) -> CommentRow:
    try:
        recipients = json.loads(str(row["recipients"] or "[]"))
    except ValueError:
        recipients = []
    names = [str(r.get("name") or "") for r in recipients if isinstance(r, dict)]
    return CommentRow(
        given_at=float(row["given_at"]),  # type: ignore[arg-type]
        badge_name=str(row["badge_name"]),
        giver=_name(str(row["giver"] or "{}"), "someone"),
        recipients=", ".join(n for n in names if n),
        comment=str(row["comment"]),
    )
