"""The dashboard's queries (bot.dashboard.figures shapes their answers): every figure is
counted by the database, on indexed columns, and only the counted rows (a few per week,
badge, team or person) come back to Python.

Which awards count:

- a period holds the awards *given* in it (``given_at`` in ``[since, until)``), which are
  the gives through the bot: an award first seen in Quantive has no ``given_at``. That is
  also what the export (bot.export) writes for the same period;
- the week bars count every such award, by status; the other figures count the awards
  that were made or may still be, i.e. not rejected or refused (award_records.NOT_MADE),
  as the give limit does: a rejected award recognised nobody, and a rejected comment may
  be the very reason it was rejected;
- the queue is now, not the period: the awards waiting for an approver, and the awards
  *decided* in the period (``decided_at`` in it) by an approver (approved or rejected;
  awards approved without approval have no decision time);
- a badge or a team filter narrows every figure but the count of the people the bot
  knows. A team filter keeps the awards with a recipient that counts for that team
  (bot.store.award_recipients says which: the team itself, as a recipient).

Every statement filters by this store's workspace, on ``awards`` and on
``award_recipients`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.award_records import NOT_MADE
from bot.store.database import Database
from bot.store.tables import award_recipients, awards, identities

_a = awards.c
_r = award_recipients.c

#: Statuses of awards waiting for an approver: in Quantive's queue, or held by the bot.
WAITING = ("pending", "held")
#: Statuses an approver's decision leaves (``handled``: decided elsewhere, outcome unknown,
#: is left out of the decision figures).
DECIDED = ("approved", "rejected")


@dataclass(frozen=True)
class FigureScope:
    """The awards a dashboard counts: given in ``[since, until)`` (Unix seconds), of one
    badge and with a recipient counting for one team when those are set."""

    since: float
    until: float
    badge_id: str | None = None
    team_id: str | None = None


@dataclass(frozen=True)
class CountedRow:
    """One line of a count: its key, the newest label the rows give it, and the count.
    For givers the label is the giver's JSON document (the caller reads the name)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class DashboardRows:
    """The counted rows of one dashboard: ``weeks`` is (week index, status, count);
    ``comments`` are awards rows (given_at, badge_name, giver, recipients, comment)."""

    weeks: list[tuple[int, str, int]]
    by_badge: list[CountedRow]
    by_team: list[CountedRow]
    top_people: list[CountedRow]
    top_teams: list[CountedRow]
    top_givers: list[CountedRow]
    givers: int
    receivers: int
    known_people: int
    waiting: int
    oldest_waiting: float | None
    decided: int
    rejected: int
    median_decision_seconds: float | None
    comments: list[dict[str, Any]]


class DashboardQueries(Database):
    """The dashboard's reads of ``awards``, ``award_recipients`` and ``identities``."""

    def _team_awards(self, team_id: str) -> Select[tuple[int]]:
        """The ids of the awards with a recipient counting for the team: the team filter of
        ``awards`` and of ``award_recipients`` alike."""
        return select(_r.award_id).where(self._mine(award_recipients), _r.team_id == team_id)

    def _narrowed(self, scope: FigureScope) -> list[ColumnElement[bool]]:
        """The badge and team filters, on ``awards``."""
        conditions: list[ColumnElement[bool]] = [self._mine(awards)]
        if scope.badge_id is not None:
            conditions.append(_a.badge_id == scope.badge_id)
        if scope.team_id is not None:
            conditions.append(_a.id.in_(self._team_awards(scope.team_id)))
        return conditions

    def _counted(self, scope: FigureScope) -> list[ColumnElement[bool]]:
        """The awards of the period that the figures (but the week bars) count."""
        return [
            *self._narrowed(scope),
            _a.given_at >= scope.since,
            _a.given_at < scope.until,
            _a.status.not_in(NOT_MADE),
        ]

    def _counted_recipients(self, scope: FigureScope) -> list[ColumnElement[bool]]:
        """:meth:`_counted` on ``award_recipients``, which copies the award's columns."""
        conditions: list[ColumnElement[bool]] = [
            self._mine(award_recipients),
            _r.given_at >= scope.since,
            _r.given_at < scope.until,
            _r.status.not_in(NOT_MADE),
        ]
        if scope.badge_id is not None:
            conditions.append(_r.badge_id == scope.badge_id)
        if scope.team_id is not None:
            conditions.append(_r.award_id.in_(self._team_awards(scope.team_id)))
        return conditions

    async def dashboard_rows(
        self, scope: FigureScope, weeks: list[tuple[float, float]], limit: int
    ) -> DashboardRows:
        """Every figure of one dashboard, counted in SQL. ``weeks`` are the bounds of each
        bar, in order, which together cover the scope's period; ``limit`` caps the top
        lists and the comments."""
        counted = self._counted(scope)
        known = select(func.count(distinct(identities.c.quantive_user_id))).where(
            self._mine(identities)
        )
        waiting = select(func.count(), func.min(_a.given_at)).where(
            *self._narrowed(scope), _a.status.in_(WAITING)
        )
        async with self.connect() as conn:
            by_week = await self._by_week(conn, scope, weeks)
            by_badge = await self._by_badge(conn, counted)
            people, teams, receivers = await self._by_recipient(conn, scope, limit)
            top_givers, givers = await self._top_givers(conn, counted, limit)
            known_people = int((await conn.execute(known)).scalar_one())
            waiting_count, oldest = (await conn.execute(waiting)).one()
            decided, rejected, median = await self._decisions(conn, scope)
            comments = await self._comments(conn, counted, limit)
        return DashboardRows(
            weeks=by_week,
            by_badge=by_badge,
            by_team=teams,
            top_people=people,
            top_teams=teams[:limit],
            top_givers=top_givers,
            givers=givers,
            receivers=receivers,
            known_people=known_people,
            waiting=int(waiting_count),
            oldest_waiting=oldest,
            decided=decided,
            rejected=rejected,
            median_decision_seconds=median,
            comments=comments,
        )

    async def _by_week(
        self, conn: AsyncConnection, scope: FigureScope, weeks: list[tuple[float, float]]
    ) -> list[tuple[int, str, int]]:
        # The weeks' bounds are a small table joined to the awards: each week is then one
        # range of the (workspace, given_at) index, however many weeks there are (a CASE
        # with one branch per week would test every award against every week).
        if not weeks:
            return []
        rows = [
            select(literal(index).label("week"), literal(lo).label("lo"), literal(hi).label("hi"))
            for index, (lo, hi) in enumerate(weeks)
        ]
        bounds = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("weeks")
        query = (
            select(bounds.c.week, _a.status, func.count())
            .select_from(
                bounds.join(awards, and_(_a.given_at >= bounds.c.lo, _a.given_at < bounds.c.hi))
            )
            .where(*self._narrowed(scope))
            .group_by(bounds.c.week, _a.status)
        )
        result = await conn.execute(query)
        return [(int(w), str(s), int(n)) for w, s, n in result.all()]

    async def _by_badge(
        self, conn: AsyncConnection, counted: list[ColumnElement[bool]]
    ) -> list[CountedRow]:
        query = (
            select(_a.badge_id, func.count(), func.max(_a.id))
            .where(*counted)
            .group_by(_a.badge_id)
            .order_by(func.count().desc(), _a.badge_id)
        )
        counts = (await conn.execute(query)).all()
        # A badge renamed in the period shows its newest name: the name on its newest award.
        newest = [row[2] for row in counts]
        names = dict(
            (await conn.execute(
                select(_a.id, _a.badge_name).where(self._mine(awards), _a.id.in_(newest))
            )).all()
        )  # fmt: skip
        return [CountedRow(str(key), str(names.get(last, key)), int(n)) for key, n, last in counts]

    async def _by_recipient(
        self, conn: AsyncConnection, scope: FigureScope, limit: int
    ) -> tuple[list[CountedRow], list[CountedRow], int]:
        """The ``limit`` people given the most awards, every team given any, and how many
        people were given one, in one pass over the period's recipient rows: window
        functions rank the people and count them. An award counts once per recipient (a
        person named twice in one award still counts one award); ties go by key."""
        awards_count = func.count(distinct(_r.award_id))
        ranked = (
            select(
                _r.is_team,
                _r.quantive_id.label("key"),
                awards_count.label("n"),
                func.max(_r.award_id).label("newest"),
                func.row_number()
                .over(partition_by=_r.is_team, order_by=(awards_count.desc(), _r.quantive_id))
                .label("place"),
                func.count().over(partition_by=_r.is_team).label("groups"),
            )
            .where(*self._counted_recipients(scope), _r.quantive_id.is_not(None))
            .group_by(_r.is_team, _r.quantive_id)
            .subquery("ranked")
        )
        query = (
            select(ranked)
            .where(or_(ranked.c.place <= limit, ranked.c.is_team == 1))
            .order_by(ranked.c.is_team, ranked.c.place)
        )
        counts = (await conn.execute(query)).all()
        labels = await self._recipient_labels(conn, _r.quantive_id, _r.name, counts)
        people = [_line(row, labels) for row in counts if not row.is_team]
        teams = [_line(row, labels) for row in counts if row.is_team]
        receivers = next((int(row.groups) for row in counts if not row.is_team), 0)
        return people, teams, receivers

    async def _recipient_labels(
        self, conn: AsyncConnection, key: Any, label: Any, counts: list[Any]
    ) -> dict[str, str]:
        """Each key's name on its newest award (a person renamed keeps one line)."""
        if not counts:
            return {}
        newest = await conn.execute(
            select(key, label).where(
                self._mine(award_recipients),
                tuple_(_r.award_id, key).in_([(row.newest, row.key) for row in counts]),
            )
        )
        return {k: name for k, name in newest.all()}

    async def _top_givers(
        self, conn: AsyncConnection, counted: list[ColumnElement[bool]], limit: int
    ) -> tuple[list[CountedRow], int]:
        """The ``limit`` givers of the most awards, and how many gave (a window counts the
        groups before LIMIT). A giver is the chat user who gave (an indexed column, unlike
        the JSON document); a workspace is one platform, so a chat id is one person.
        The label is the newest award's giver document: the caller reads its name."""
        query = (
            select(
                _a.platform,
                _a.giver_chat_id,
                func.count().label("n"),
                func.max(_a.id).label("newest"),
                func.count().over().label("givers"),
            )
            .where(*counted, _a.giver_chat_id != "")
            .group_by(_a.platform, _a.giver_chat_id)
            .order_by(func.count().desc(), _a.platform, _a.giver_chat_id)
            .limit(limit)
        )
        counts = (await conn.execute(query)).all()
        documents = dict(
            (await conn.execute(
                select(_a.id, _a.giver).where(
                    self._mine(awards), _a.id.in_([row.newest for row in counts])
                )
            )).all()
        )  # fmt: skip
        lines = [
            CountedRow(
                f"{row.platform}:{row.giver_chat_id}", documents.get(row.newest, "{}"), row.n
            )
            for row in counts
        ]
        return lines, int(counts[0].givers) if counts else 0

    async def _decisions(
        self, conn: AsyncConnection, scope: FigureScope
    ) -> tuple[int, int, float | None]:
        """How many awards an approver decided in the period, how many of them were
        rejected, and the median seconds from giving to deciding."""
        decided = [
            *self._narrowed(scope),
            _a.status.in_(DECIDED),
            _a.decided_at >= scope.since,
            _a.decided_at < scope.until,
            _a.given_at.is_not(None),
        ]
        rejected = func.coalesce(func.sum(case((_a.status == "rejected", 1), else_=0)), 0)
        count, rejected_count = (
            await conn.execute(select(func.count(), rejected).where(*decided))
        ).one()
        if not count:
            return 0, 0, None
        # SQLite has no percentile function: the median is the middle one or two
        # durations in order, which both backends find with OFFSET.
        duration = _a.decided_at - _a.given_at
        middle = (
            select(duration.label("seconds"))
            .where(*decided)
            .order_by(duration)
            .offset((count - 1) // 2)
            .limit(1 if count % 2 else 2)
        )
        values = [float(v) for v in (await conn.execute(middle)).scalars().all()]
        return int(count), int(rejected_count), sum(values) / len(values)

    async def _comments(
        self, conn: AsyncConnection, counted: list[ColumnElement[bool]], limit: int
    ) -> list[dict[str, Any]]:
        query = (
            select(_a.given_at, _a.badge_name, _a.giver, _a.recipients, _a.comment)
            .where(*counted, _a.comment != "")
            .order_by(_a.given_at.desc(), _a.id.desc())
            .limit(limit)
        )
        return [dict(row._mapping) for row in (await conn.execute(query)).all()]

    async def dashboard_filter_rows(self) -> tuple[list[CountedRow], list[CountedRow]]:
        """The badges and the teams the workspace's given awards have, each with how many
        awards it has had (every status), most first: the dashboard's filter menus."""
        awards_count = func.count(distinct(_r.award_id))
        teams = (
            select(
                _r.team_id.label("key"),
                awards_count.label("n"),
                func.max(_r.award_id).label("newest"),
            )
            .where(self._mine(award_recipients), _r.given_at.is_not(None), _r.team_id.is_not(None))
            .group_by(_r.team_id)
            .order_by(awards_count.desc(), _r.team_id)
        )
        async with self.connect() as conn:
            badges = await self._by_badge(conn, [self._mine(awards), _a.given_at.is_not(None)])
            counts = (await conn.execute(teams)).all()
            labels = await self._recipient_labels(conn, _r.team_id, _r.team_name, counts)
        return badges, [_line(row, labels) for row in counts]


def _line(row: Any, labels: dict[str, str]) -> CountedRow:
    """A counted row (``key``, ``n``) with its label, or its key when it has none."""
    return CountedRow(str(row.key), labels.get(row.key) or str(row.key), int(row.n))
