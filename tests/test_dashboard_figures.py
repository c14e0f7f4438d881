"""The dashboard's figures (bot.dashboard.figures) on SQLite and PostgreSQL: a hand-made
fortnight of awards with a known answer for every figure, the badge and team filters
narrowing each of them, another workspace's awards never counted, and the recipient rows
kept in step by every write of an award (give, revoke, award seen in Quantive, sync)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.awards.record import Award, Party, award_row
from bot.dashboard.figures import (
    Count,
    Participation,
    Queue,
    WeekBar,
    custom_period,
    dashboard_figures,
    dashboard_filters,
)
from bot.store import Identity, Store
from bot.store.tables import award_recipients

pytestmark = pytest.mark.both_backends

ACME, GLOBEX = "slack:TACME1", "slack:TGLOBEX"
PARIS = "Europe/Paris"
#: Two ISO weeks in Paris (UTC+1 then): Monday 2 March to Sunday 15 March 2026.
FORTNIGHT = custom_period(date(2026, 3, 2), date(2026, 3, 15), PARIS)

AMARA = Party(name="Amara", chat_user_id="UAMARA", platform="slack", quantive_id="qa")
LIAM = Party(name="Liam", chat_user_id="ULIAM", platform="slack", quantive_id="ql")
NOOR = Party(name="Noor", chat_user_id="UNOOR", platform="slack", quantive_id="qn")
OLIVER = Party(name="Oliver", chat_user_id="UOLIVER", platform="slack", quantive_id="qo")
PLATFORM = Party(name="Platform", quantive_id="t-plat", is_team=True)
MENTOR, HELPER = ("b-mentor", "Mentor"), ("b-helper", "Helper")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> float:
    """A Paris time in 2026, as Unix seconds."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(PARIS)).timestamp()


def award(
    badge: tuple[str, str],
    giver: Party,
    recipients: list[Party],
    status: str,
    given_at: float,
    *,
    decided_after: float | None = None,
    comment: str = "",
) -> dict[str, Any]:
    """An award record's row, as the core writes it."""
    record = Award(
        badge_id=badge[0],
        badge_name=badge[1],
        giver=giver,
        recipients=recipients,
        status=status,  # type: ignore[arg-type]
        platform="slack",
        given_at=given_at,
        decided_at=None if decided_after is None else given_at + decided_after,
        comment=comment,
    )
    return award_row(record)


#: ACME's awards: (name, row). The names are the test's, for the expected answers.
AWARDS = [
    ("A1", award(MENTOR, AMARA, [LIAM], "approved", at(2, 10), decided_after=3600,
                 comment="Great onboarding")),
    ("A2", award(MENTOR, AMARA, [LIAM, PLATFORM], "approved", at(3, 9), decided_after=1800)),
    ("A3", award(HELPER, NOOR, [LIAM], "pending", at(4, 12), comment="Thanks for the help")),
    ("A4", award(HELPER, LIAM, [NOOR], "rejected", at(5, 8), decided_after=86400,
                 comment="a comment an approver stopped")),
    # 00:30 on Monday in Paris, still Sunday in UTC: the second week's.
    ("A5", award(MENTOR, NOOR, [PLATFORM], "held", at(9, 0, 30), comment="Team effort")),
    ("A6", award(HELPER, AMARA, [OLIVER], "approved", at(10, 15), decided_after=172800)),
    ("A7", award(MENTOR, AMARA, [NOOR], "handled", at(11, 9), decided_after=100)),
    ("A8", award(MENTOR, AMARA, [LIAM], "pending", at(20, 9, month=2))),  # before the period
    ("A9", award(HELPER, OLIVER, [AMARA], "refused", at(12, 9))),
    ("A10", award(HELPER, LIAM, [AMARA], "sending", at(13, 9), comment="On its way")),
]  # fmt: skip


async def seed(store: Store) -> dict[str, int]:
    """ACME's awards and people, an award seen in Quantive, and GLOBEX's look-alikes."""
    acme, globex = store.for_workspace(ACME), store.for_workspace(GLOBEX)
    ids = {}
    for name, row in AWARDS:
        ids[name] = (await acme.accept_award({}, row, {}))[1]
    # Given in Quantive's web app, shown in a digest: no give time, so in no period.
    seen = award(MENTOR, OLIVER, [LIAM], "approved", at(3, 9))
    await acme.add_seen_award({**seen, "assignment_id": "q-seen", "given_at": None})
    for person in (AMARA, LIAM, NOOR, OLIVER):
        assert person.chat_user_id and person.quantive_id
        await acme.remember_identity(
            Identity(person.chat_user_id, person.quantive_id, f"{person.name}@acme", person.name)
        )
    # Amara on Teams too: one person the bot knows, not two.
    await acme.remember_identity(Identity("29:amara", "qa", "amara@acme", "Amara", "teams"))
    # Another workspace with the same ids, badge and team, in the same fortnight.
    for when in (at(3, 9), at(10, 9)):
        row = award(MENTOR, AMARA, [LIAM, PLATFORM], "pending", when, comment="globex's")
        await globex.accept_award({}, row, {})
    await globex.remember_identity(Identity("UZED", "qz", "zed@globex", "Zed"))
    return ids


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    await seed(store)
    yield store
    await store.aclose()


def counts(*lines: tuple[str, str, int]) -> list[Count]:
    return [Count(*line) for line in lines]


async def test_every_figure_of_a_fortnight(store: Store) -> None:
    figures = await dashboard_figures(store.for_workspace(ACME), FORTNIGHT)
    assert figures.period == FORTNIGHT
    assert figures.weeks == [
        WeekBar(date(2026, 3, 2), approved=2, pending=1, rejected=1, other=0),
        WeekBar(date(2026, 3, 9), approved=1, pending=2, rejected=1, other=1),
    ]
    assert figures.total == 9 and figures.counted == 7  # A8 is before; A4 and A9 not made
    assert figures.by_badge == counts(("b-mentor", "Mentor", 4), ("b-helper", "Helper", 3))
    assert figures.by_team == counts(("t-plat", "Platform", 2))
    assert figures.top_people == counts(
        ("ql", "Liam", 3), ("qa", "Amara", 1), ("qn", "Noor", 1), ("qo", "Oliver", 1)
    )
    assert figures.top_teams == counts(("t-plat", "Platform", 2))
    assert figures.top_givers == counts(
        ("slack:UAMARA", "Amara", 4), ("slack:UNOOR", "Noor", 2), ("slack:ULIAM", "Liam", 1)
    )
    assert figures.participation == Participation(givers=3, receivers=4, known_people=4)
    # Waiting is now: A8, from before the period, waits too; A10 is still being sent.
    # Decided in the period: 1800, 3600, 86400 (rejected), 172800 s; A7 was handled.
    assert figures.queue == Queue(
        waiting=3,
        oldest_given_at=at(20, 9, month=2),
        median_decision_seconds=(3600 + 86400) / 2,
        rejected_share=0.25,
    )
    assert [c.comment for c in figures.comments] == [
        "On its way",
        "Team effort",
        "Thanks for the help",
        "Great onboarding",
    ]
    first = figures.comments[0]
    assert (first.badge_name, first.giver, first.recipients, first.given_at) == (
        "Helper",
        "Liam",
        "Amara",
        at(13, 9),
    )
    assert figures.comments[1].recipients == "Platform"

    top = await dashboard_figures(store.for_workspace(ACME), FORTNIGHT, limit=2)
    assert [c.key for c in top.top_people] == ["ql", "qa"] and len(top.comments) == 2
    assert top.by_badge == figures.by_badge  # whole, not cut to the limit


async def test_a_badge_filter_narrows_every_figure(store: Store) -> None:
    figures = await dashboard_figures(store.for_workspace(ACME), FORTNIGHT, badge_id="b-helper")
    assert figures.weeks == [
        WeekBar(date(2026, 3, 2), approved=0, pending=1, rejected=1, other=0),
        WeekBar(date(2026, 3, 9), approved=1, pending=1, rejected=1, other=0),
    ]
    assert (figures.total, figures.counted) == (5, 3)
    assert figures.by_badge == counts(("b-helper", "Helper", 3))
    assert figures.by_team == [] and figures.top_teams == []
    assert figures.top_people == counts(("qa", "Amara", 1), ("ql", "Liam", 1), ("qo", "Oliver", 1))
    assert [g.key for g in figures.top_givers] == [
        "slack:UAMARA",
        "slack:ULIAM",
        "slack:UNOOR",
    ]  # ties by key
    assert figures.participation == Participation(givers=3, receivers=3, known_people=4)
    assert figures.queue == Queue(1, at(4, 12), (86400 + 172800) / 2, 0.5)
    assert [c.comment for c in figures.comments] == ["On its way", "Thanks for the help"]


async def test_a_team_filter_narrows_every_figure(store: Store) -> None:
    acme = store.for_workspace(ACME)
    figures = await dashboard_figures(acme, FORTNIGHT, team_id="t-plat")
    assert figures.weeks == [
        WeekBar(date(2026, 3, 2), approved=1, pending=0, rejected=0, other=0),
        WeekBar(date(2026, 3, 9), approved=0, pending=1, rejected=0, other=0),
    ]
    assert (figures.total, figures.counted) == (2, 2)
    assert figures.by_badge == counts(("b-mentor", "Mentor", 2))
    assert figures.by_team == figures.top_teams == counts(("t-plat", "Platform", 2))
    assert figures.top_people == counts(("ql", "Liam", 1))
    assert figures.participation == Participation(givers=2, receivers=1, known_people=4)
    assert figures.queue == Queue(1, at(9, 0, 30), 1800.0, 0.0)
    assert [c.comment for c in figures.comments] == ["Team effort"]

    both = await dashboard_figures(acme, FORTNIGHT, team_id="t-plat", badge_id="b-helper")
    assert both.total == 0 and both.queue == Queue(0, None, None, None)
    assert both.participation == Participation(0, 0, 4)
    assert both.weeks == [WeekBar(date(2026, 3, 2), 0, 0, 0), WeekBar(date(2026, 3, 9), 0, 0, 0)]


async def test_another_workspaces_awards_never_count(store: Store) -> None:
    globex = await dashboard_figures(store.for_workspace(GLOBEX), FORTNIGHT)
    assert globex.total == 2 and [w.pending for w in globex.weeks] == [1, 1]
    assert globex.top_people == counts(("ql", "Liam", 2))
    assert globex.participation == Participation(givers=1, receivers=1, known_people=1)
    assert globex.queue.waiting == 2 and [c.comment for c in globex.comments] == ["globex's"] * 2
    # A workspace with nothing sees nothing, on every figure.
    empty = await dashboard_figures(store.for_workspace("teams:empty"), FORTNIGHT)
    assert empty.total == 0 and empty.by_badge == empty.top_givers == empty.comments == []
    assert empty.participation == Participation(0, 0, 0)
    assert await dashboard_filters(store.for_workspace("teams:empty")) == ([], [])


async def test_the_filter_menus_list_what_the_awards_have(store: Store) -> None:
    badges, teams = await dashboard_filters(store.for_workspace(ACME))
    # Every given award counts, whatever its status or time; the seen one has no give.
    assert badges == counts(("b-helper", "Helper", 5), ("b-mentor", "Mentor", 5))
    assert teams == counts(("t-plat", "Platform", 2))
    assert await dashboard_filters(store.for_workspace(GLOBEX)) == (
        counts(("b-mentor", "Mentor", 2)),
        counts(("t-plat", "Platform", 2)),
    )


async def recipient_rows(store: Store, award_id: int) -> list[tuple[Any, ...]]:
    r = award_recipients.c
    query = (
        select(r.workspace, r.position, r.quantive_id, r.name, r.is_team, r.team_id, r.status)
        .where(r.award_id == award_id)
        .order_by(r.position)
    )
    async with store.connect() as conn:
        return [tuple(row) for row in (await conn.execute(query)).all()]


async def test_every_write_of_an_award_keeps_its_recipient_rows(store: Store) -> None:
    acme, globex = store.for_workspace(ACME), store.for_workspace(GLOBEX)
    row = award(MENTOR, AMARA, [LIAM, PLATFORM], "pending", at(14, 9))
    _, award_id = await acme.accept_award({}, row, {})
    assert await recipient_rows(store, award_id) == [
        (ACME, 0, "ql", "Liam", 0, None, "pending"),
        (ACME, 1, "t-plat", "Platform", 1, "t-plat", "pending"),
    ]
    # A revoke saves the award without the recipient; the rows copy its new status too.
    await acme.save_award(award_id, award(MENTOR, AMARA, [PLATFORM], "approved", at(14, 9)))
    revoked = [(ACME, 0, "t-plat", "Platform", 1, "t-plat", "approved")]
    assert await recipient_rows(store, award_id) == revoked
    # Another workspace's save of this id changes neither the award nor its rows.
    await globex.save_award(award_id, award(MENTOR, AMARA, [NOOR], "rejected", at(14, 9)))
    assert await recipient_rows(store, award_id) == revoked
    # The sync settles it, with whatever recipients the record has then.
    settled = award(MENTOR, AMARA, [NOOR, PLATFORM], "rejected", at(14, 9))
    assert await acme.settle_award(award_id, "approved", settled)
    assert [r[2::4] for r in await recipient_rows(store, award_id)] == [
        ("qn", "rejected"),
        ("t-plat", "rejected"),
    ]
    assert not await acme.settle_award(
        award_id, "approved", award(MENTOR, AMARA, [], "approved", 1.0)
    )
    assert len(await recipient_rows(store, award_id)) == 2

    # An award first seen in Quantive gets rows; when the give learns that key, the seen
    # record (and its rows) give way to the give's.
    seen = {**award(HELPER, OLIVER, [AMARA], "pending", at(14, 10)), "assignment_id": "q-7"}
    await acme.add_seen_award(seen)
    seen_id = (await acme.award_row("q-7"))["id"]  # type: ignore[index]
    assert [r[2] for r in await recipient_rows(store, seen_id)] == ["qa"]
    await acme.add_seen_award({**seen, "recipients": "[]"})  # kept, not overwritten
    assert [r[2] for r in await recipient_rows(store, seen_id)] == ["qa"]
    _, give_id = await acme.accept_award({}, award(HELPER, OLIVER, [AMARA], "sending", 1.0), {})
    await acme.save_award(give_id, {**award(HELPER, OLIVER, [AMARA], "pending", 1.0),
                                    "assignment_id": "q-7"})  # fmt: skip
    assert await recipient_rows(store, seen_id) == []
    assert [r[2] for r in await recipient_rows(store, give_id)] == ["qa"]
