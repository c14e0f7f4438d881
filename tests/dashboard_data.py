"""Award rows for the dashboard's tests, written through the store as the bot writes them,
and, until branch figures23's SQL figures are merged (bot.dashboard.figures.STUB), an
in-memory stand-in computed from the same rows, so the tests assert on what the rows
must produce either way."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from bot.awards.record import Award, Party, award_row
from bot.dashboard import figures as real
from bot.store import Store

PENDING = ("pending", "held", "sending")
REJECTED = ("rejected", "refused")


async def add_award(
    store: Store,
    key: str,
    *,
    badge: tuple[str, str],
    giver: tuple[str, str],
    recipient: tuple[str, str],
    given_at: datetime,
    status: str = "approved",
    comment: str = "",
    decided_after: float | None = None,
) -> None:
    """One give through the bot to one person, delivered (its outbox row is done, so no
    worker touches it), in ``status``."""
    gave = Party(name=giver[1], chat_user_id=giver[0], platform="slack", email=f"{giver[0]}@x")
    got = Party(name=recipient[1], chat_user_id=recipient[0], platform="slack")
    stamp = given_at.timestamp()
    award = Award(
        assignment_id=key,
        badge_id=badge[0],
        badge_name=badge[1],
        giver=gave,
        recipients=[got],
        comment=comment,
        status=status,  # type: ignore[arg-type]
        platform="slack",
        given_at=stamp,
        decided_at=stamp + decided_after if decided_after is not None else None,
    )
    give_id, _ = await store.accept_award({"n": key}, award_row(award), {})
    await store.finish_award(give_id, "delivered", key)


# --- the stand-in -------------------------------------------------------------------


def named_period(name: str, now: datetime, tz: str) -> real.Period:
    local = now.astimezone(ZoneInfo(tz))
    day = local.date()
    if name == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
    elif name == "month":
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    elif name == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        last = (first + timedelta(days=93)).replace(day=1)
    else:
        first, last = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    return _period(first, last, tz, f"This {name}")


def custom_period(first_day: date, last_day: date, tz: str) -> real.Period:
    if last_day < first_day:
        raise ValueError("The last day comes before the first.")
    return _period(first_day, last_day + timedelta(days=1), tz, "Custom range")


def _period(first: date, end: date, tz: str, name: str) -> real.Period:
    zone = ZoneInfo(tz)
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    stop = datetime.combine(end, datetime.min.time(), zone).astimezone(UTC)
    return real.Period(start, stop, name)


async def _rows(store: Store) -> list[dict[str, Any]]:
    return [row async for row in store.given_between()]


def _outcome(status: str) -> str:
    return "pending" if status in PENDING else "rejected" if status in REJECTED else status


async def dashboard_figures(
    store: Store, period: real.Period, *, badge_id=None, team_id=None, limit=10
) -> real.Figures:
    from bot.awards.record import award_from_row

    everything = [award_from_row(r) for r in await _rows(store)]
    start, end = period.start.timestamp(), period.end.timestamp()
    awards = [
        a
        for a in everything
        if a.given_at is not None
        and start <= a.given_at < end
        and (badge_id is None or a.badge_id == badge_id)
    ]
    weeks: dict[date, Counter[str]] = {}
    for a in awards:
        day = datetime.fromtimestamp(a.given_at or 0, UTC).date()
        weeks.setdefault(day - timedelta(days=day.weekday()), Counter())[_outcome(a.status)] += 1
    bars = [
        real.WeekBar(w, c["approved"], c["pending"], c["rejected"])
        for w, c in sorted(weeks.items())
    ]
    badges = Counter((a.badge_id, a.badge_name) for a in awards)
    people = Counter(
        (r.chat_user_id or r.name, r.name) for a in awards for r in a.recipients if not r.is_team
    )
    givers = Counter((a.giver.chat_user_id or a.giver.name, a.giver.name) for a in awards)

    def counts(counter: Counter) -> list[real.Count]:
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0][1]))
        return [real.Count(k, label, n) for (k, label), n in ranked[:limit]]

    waiting = [a for a in everything if _outcome(a.status) == "pending"]
    decided = [a for a in awards if a.decided_at is not None and a.given_at is not None]
    rejected = [a for a in decided if _outcome(a.status) == "rejected"]
    return real.Figures(
        period=period,
        total=len(awards),
        weeks=bars,
        by_badge=counts(badges),
        by_team=[],
        top_people=counts(people),
        top_teams=[],
        top_givers=counts(givers),
        participation=real.Participation(len(givers), len(people), 0),
        queue=real.Queue(
            len(waiting),
            min((a.given_at for a in waiting if a.given_at), default=None),
            statistics.median([a.decided_at - a.given_at for a in decided]) if decided else None,
            len(rejected) / len(decided) if decided else None,
        ),
        comments=[
            real.CommentRow(
                a.given_at or 0, a.badge_name, a.giver.name, a.recipients[0].name, a.comment
            )
            for a in sorted(awards, key=lambda a: -(a.given_at or 0))
            if a.comment
        ][:limit],
    )


async def dashboard_filters(store: Store) -> tuple[list[real.Count], list[real.Count]]:
    badges = Counter((r["badge_id"], r["badge_name"]) for r in await _rows(store))
    return [real.Count(k, label, n) for (k, label), n in sorted(badges.items())], []


@contextmanager
def figures_until_merged() -> Iterator[None]:
    """The stand-in in place of bot.dashboard.figures while it is the stub; the real
    figures (SQL) once figures23 is merged."""
    if not getattr(real, "STUB", False):
        yield
        return
    with (
        mock.patch.object(real, "named_period", named_period),
        mock.patch.object(real, "custom_period", custom_period),
        mock.patch.object(real, "dashboard_figures", dashboard_figures),
        mock.patch.object(real, "dashboard_filters", dashboard_filters),
    ):
        yield


def midweek(weeks_ago: int, now: float | None = None) -> datetime:
    """Noon on the Wednesday of the week ``weeks_ago`` weeks before this one, UTC."""
    today = datetime.fromtimestamp(now or time.time(), UTC).date()
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks_ago)
    return datetime.combine(start + timedelta(days=2), datetime.min.time(), UTC) + timedelta(
        hours=12
    )
