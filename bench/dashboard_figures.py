"""Benchmark: the dashboard's figures over 100,000 awards, counted in SQL on indexed
columns (bot.dashboard.figures), beside the same figures computed in Python from every
row of the workspace, read and aggregated in Python, in one run; on SQLite and, when
PostgreSQL's server is installed, on PostgreSQL.

A year of awards is written straight into a migrated database (30 badges, 600 people, 20
teams, the statuses and decision times of a busy workspace, 10,000 awards of another
workspace beside them). Each page is timed as the dashboard asks for it: this year, this
month, one badge, one team. The two ways must give equal Figures, which checks the SQL
against a plain reading of the rules too. The SQL page must take under 1 s.

    .venv/bin/python -m bench.dashboard_figures [--no-postgres]
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from bisect import bisect_right
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select

from bench.processes import migrated_sqlite
from bot.dashboard.figures import (
    BAR_OF_STATUS,
    CommentRow,
    Count,
    Figures,
    Participation,
    Period,
    Queue,
    WeekBar,
    dashboard_figures,
    named_period,
)
from bot.dashboard.periods import period_weeks
from bot.store import Store, migrate
from bot.store.award_recipients import recipient_rows
from bot.store.dashboard import DECIDED, WAITING
from bot.store.tables import award_recipients, awards, identities

AWARDS = 100_000
OTHERS = 10_000
WORKSPACE, OTHER = "slack:TBENCH", "slack:TOTHER"
TZ = "Europe/Paris"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
STATUSES = ["approved"] * 80 + ["pending"] * 6 + ["held"] * 2 + ["rejected"] * 5
STATUSES += ["refused"] + ["sending"] * 2 + ["handled"] * 2 + ["unknown"] * 2
RUNS = 5


def person(i: int) -> dict[str, Any]:
    """The ``i``-th person, as a Party document."""
    return {"name": f"Person {i:04d}", "chat_user_id": f"U{i:04d}", "platform": "slack",
            "quantive_id": f"q{i:04d}", "is_team": False, "email": f"p{i}@bench.test"}  # fmt: skip


def team(i: int) -> dict[str, Any]:
    """The ``i``-th Quantive team, as a Party document."""
    return {"name": f"Team {i:02d}", "quantive_id": f"t{i:02d}", "is_team": True}


def award_rows(workspace: str, count: int, first_id: int, rng: random.Random) -> list[dict]:
    """``count`` awards of 2026 (up to NOW), with ids from ``first_id``."""
    year = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    span = NOW.timestamp() - year
    rows = []
    for n in range(count):
        given_at = year + span * n / count + rng.random()
        status = rng.choice(STATUSES)
        decided = status in ("approved", "rejected", "handled") and rng.random() < 0.6
        recipients = [person(rng.randrange(600)) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        if rng.random() < 0.1:
            recipients.append(team(rng.randrange(20)))
        giver = person(rng.randrange(600))
        badge = rng.randrange(30)
        rows.append(
            {
                "id": first_id + n,
                "workspace": workspace,
                "assignment_id": f"a{first_id + n}",
                "give_id": first_id + n,
                "platform": "slack",
                "badge_id": f"b{badge:02d}",
                "badge_name": f"Badge {badge:02d}",
                "giver": json.dumps(giver),
                "giver_chat_id": giver["chat_user_id"],
                "recipients": json.dumps(recipients),
                "recipient_count": len(recipients),
                "comment": f"Thanks for {n}, " * rng.randrange(4),
                "status": status,
                "given_at": given_at,
                "decided_at": given_at + rng.expovariate(1 / 86400) if decided else None,
                "updated_at": given_at,
            }
        )
    return rows


def seed(url: str) -> None:
    """The awards, their recipient rows and the identities, with a synchronous engine
    (quick, and not measured)."""
    sync_url = url.replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(sync_url)
    rng = random.Random(23)
    batches = [(WORKSPACE, AWARDS, 1), (OTHER, OTHERS, AWARDS + 1)]
    with engine.begin() as conn:
        for workspace, count, first_id in batches:
            rows = award_rows(workspace, count, first_id, rng)
            for start in range(0, len(rows), 5000):
                page = rows[start : start + 5000]
                conn.execute(insert(awards), page)
                recipients = [r for row in page for r in recipient_rows(workspace, row)]
                conn.execute(insert(award_recipients), recipients)
        people = [
            {"workspace": WORKSPACE, "platform": "slack", "chat_user_id": f"U{i:04d}",
             "quantive_user_id": f"q{i:04d}", "email": "", "name": "", "fetched_at": 0.0}
            for i in range(700)
        ]  # fmt: skip
        conn.execute(insert(identities), people)
    with engine.connect() as conn:
        # What autovacuum (or SQLite's optimize) would have done on a database that grew
        # to this size over a year: the planner knows the tables.
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    engine.dispose()


def _newest_labels(counter: Counter[str], labels: dict[str, tuple[int, str]]) -> list[Count]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Count(k, labels[k][1], n) for k, n in ranked]


def python_figures(
    rows: list[dict[str, Any]],
    known_people: int,
    period: Period,
    badge_id: str | None = None,
    team_id: str | None = None,
    limit: int = 10,
) -> Figures:
    """The same figures as bot.dashboard.figures, from every row, in Python."""
    start, end = period.start.timestamp(), period.end.timestamp()
    weeks = period_weeks(period)
    lows = [lo for _, lo, _ in weeks]
    parsed = {r["id"]: json.loads(r["recipients"]) for r in rows}

    def narrowed(r: dict[str, Any]) -> bool:
        if badge_id is not None and r["badge_id"] != badge_id:
            return False
        if team_id is None:
            return True
        return any(p.get("is_team") and p.get("quantive_id") == team_id for p in parsed[r["id"]])

    mine = [r for r in rows if narrowed(r)]
    in_period = [r for r in mine if r["given_at"] is not None and start <= r["given_at"] < end]
    bars = [dict.fromkeys(("approved", "pending", "rejected", "other"), 0) for _ in weeks]
    for r in in_period:
        bars[bisect_right(lows, r["given_at"]) - 1][BAR_OF_STATUS.get(r["status"], "other")] += 1
    counted = [r for r in in_period if r["status"] not in ("rejected", "refused")]
    badges: Counter[str] = Counter()
    badge_names: dict[str, tuple[int, str]] = {}
    teams: Counter[str] = Counter()
    people: Counter[str] = Counter()
    names: dict[str, tuple[int, str]] = {}
    givers: Counter[str] = Counter()
    giver_names: dict[str, tuple[int, str]] = {}
    for r in counted:
        badges[r["badge_id"]] += 1
        newest = (r["id"], r["badge_name"])
        badge_names[r["badge_id"]] = max(badge_names.get(r["badge_id"], (0, "")), newest)
        named = [p for p in parsed[r["id"]] if p.get("quantive_id")]
        for key, is_team in {(p["quantive_id"], bool(p.get("is_team"))) for p in named}:
            (teams if is_team else people)[key] += 1
        for p in named:
            newest = (r["id"], p["name"])
            names[p["quantive_id"]] = max(names.get(p["quantive_id"], (0, "")), newest)
        if r["giver_chat_id"]:
            key = f"{r['platform']}:{r['giver_chat_id']}"
            givers[key] += 1
            name = json.loads(r["giver"]).get("name") or key
            giver_names[key] = max(giver_names.get(key, (0, "")), (r["id"], name))
    waiting = [r for r in mine if r["status"] in WAITING]
    decided = [
        r for r in mine
        if r["status"] in DECIDED and r["decided_at"] is not None and r["given_at"] is not None
        and start <= r["decided_at"] < end
    ]  # fmt: skip
    durations = [r["decided_at"] - r["given_at"] for r in decided]
    rejected = sum(r["status"] == "rejected" for r in decided)
    commented = sorted((r for r in counted if r["comment"]), key=lambda r: (r["given_at"], r["id"]))
    comments = [
        CommentRow(r["given_at"], r["badge_name"], json.loads(r["giver"]).get("name") or "someone",
                   ", ".join(p["name"] for p in parsed[r["id"]] if p.get("name")), r["comment"])
        for r in reversed(commented[-limit:])
    ]  # fmt: skip
    by_team = _newest_labels(teams, names)
    total = sum(sum(b.values()) for b in bars)
    return Figures(
        period=period,
        total=total,
        weeks=[WeekBar(w[0], **b) for w, b in zip(weeks, bars, strict=True)],
        by_badge=_newest_labels(badges, badge_names),
        by_team=by_team,
        top_people=_newest_labels(people, names)[:limit],
        top_teams=by_team[:limit],
        top_givers=_newest_labels(givers, giver_names)[:limit],
        participation=Participation(
            len(givers),
            len(people),
            known_people,
        ),
        queue=Queue(
            len(waiting),
            min((r["given_at"] for r in waiting if r["given_at"] is not None), default=None),
            statistics.median(durations) if durations else None,
            rejected / len(decided) if decided else None,
        ),
        comments=comments,
        counted=total - sum(b["rejected"] for b in bars),
    )


async def read_and_compute(store: Store, period: Period, **scope: Any) -> Figures:
    """Every awards row of the workspace read into Python, then the figures."""
    async with store.connect() as conn:
        rows = [dict(r._mapping) for r in (await conn.execute(
            select(awards).where(awards.c.workspace == store.workspace))).all()]  # fmt: skip
        known = await conn.execute(
            select(identities.c.quantive_user_id)
            .where(identities.c.workspace == store.workspace)
            .distinct()
        )
        known_people = len(known.all())
    return python_figures(rows, known_people, period, **scope)


async def timed(make: Any) -> tuple[float, float, Figures]:
    """The first run's seconds, the median of RUNS runs, and the result."""
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = await make()
        times.append(time.perf_counter() - started)
    assert result is not None
    return times[0], statistics.median(times), result


async def measure(url: str, backend: str) -> float:
    """Print each page's times on ``url``; return the slowest SQL page's median."""
    store = Store(url).for_workspace(WORKSPACE)
    pages = {
        "this year": (named_period("year", NOW, TZ), {}),
        "this month": (named_period("month", NOW, TZ), {}),
        "year, one badge": (named_period("year", NOW, TZ), {"badge_id": "b07"}),
        "year, one team": (named_period("year", NOW, TZ), {"team_id": "t03"}),
    }
    slowest = 0.0
    try:
        for name, (period, scope) in pages.items():
            sql_first, sql, figures = await timed(lambda: dashboard_figures(store, period, **scope))  # noqa: B023
            py_first, py, expected = await timed(lambda: read_and_compute(store, period, **scope))  # noqa: B023
            assert figures == expected, f"{backend} {name}: SQL and Python disagree"
            slowest = max(slowest, sql)
            print(
                f"{backend:10} {name:16} awards {figures.total:6}  SQL {sql * 1000:7.1f} ms "
                f"(first {sql_first * 1000:6.1f})  Python {py * 1000:7.1f} ms "
                f"(first {py_first * 1000:6.1f})  ratio {py / sql:5.1f}x"
            )
    finally:
        await store.aclose()
        await Store(url).aclose()
    return slowest


def main(argv: list[str]) -> int:
    """Seed, measure, and fail when a SQL page takes 1 s or more."""
    print(f"{AWARDS:,} awards in the measured workspace, {OTHERS:,} in another; "
          f"median of {RUNS} runs; weeks in {TZ}")  # fmt: skip
    slowest = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = migrated_sqlite(Path(tmp) / "bench.db")
        seed(url)
        slowest["sqlite"] = asyncio.run(measure(url, "sqlite"))
        if "--no-postgres" not in argv:
            try:
                from tests.postgres import PostgresServer

                server = PostgresServer().start()
            except RuntimeError as exc:
                print(f"postgresql skipped: {exc}")
            else:
                try:
                    pg = server.create_database("bench_dashboard")
                    asyncio.run(migrate(pg))
                    seed(pg)
                    slowest["postgresql"] = asyncio.run(measure(pg, "postgresql"))
                finally:
                    server.stop()
    worst = max(slowest.values())
    print(f"slowest SQL page: {worst * 1000:.1f} ms ({'under' if worst < 1 else 'OVER'} 1 s)")
    return 0 if worst < 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
