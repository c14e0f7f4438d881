"""End to end: awards approved and rejected in Quantive's web app (the emulator, from
outside the bot) are redrawn, told and recorded by the sync within two intervals, on both
backends; a late click calls nothing and changes nothing; one process reads the queue."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.awards import Award
from bot.awards.record import Party, award_from_row, award_row
from bot.awards.sync import verdict
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from bot.store import Store
from bot.sync import LEASE, QuantiveSync
from tests.harness import BotHarness, new_awards
from tests.teams_client import action, actions, card_of, send, texts
from tests.test_teams_flows_e2e import approval_cards, give_for_approval, sent_to
from tests.waiting import wait_until

#: A sync every 0.3 s on a worker that ticks every 0.05 s.
FAST_SYNC = {"quantive_sync_seconds": 0.1, "outbox_poll_seconds": 0.05}
QUEUE_READ = "GET /badges/approve"
DECISION_CALLS = ("POST /badges/approve/{id}", "DELETE /badges/approve/{id}")


@pytest.fixture
def sync_bot(emulator, slack, database_url):
    """The app with a sync every 0.3 s."""
    harness = BotHarness(emulator, slack, database_url, **FAST_SYNC).start()
    yield harness
    harness.stop()


def give(bot: BotHarness, text: str, requests_so_far: int, user: str = "UAMARA") -> str:
    """Someone not an approver (Amara) gives; returns the award's id in Quantive's queue."""
    before = {a["id"] for a in new_awards(bot.emulator)}
    bot.command(text, user=user, response_key=f"give-{requests_so_far}")
    bot.slack.wait_calls("chat.postMessage", count=requests_so_far + 2)  # Maria's, Oliver's
    [award] = [a for a in new_awards(bot.emulator) if a["id"] not in before]
    assert award["status"] == "pending"
    return award["id"]


def record(bot: BotHarness, assignment_id: str) -> Award:
    async def read(store: Store) -> dict[str, Any] | None:
        return await store.award_row(assignment_id)

    row = bot.query(read)
    assert row is not None
    return award_from_row(row)


@pytest.mark.both_backends
def test_decisions_in_quantive_are_redrawn_told_and_recorded_within_two_syncs(
    sync_bot: BotHarness, backend: str
) -> None:
    bot = sync_bot
    approved = give(bot, "give <@ULIAM|liam> Team Player great pairing", 0)
    rejected = give(bot, "give <@USOFIA|sofia> Visionary bold roadmap", 2)
    # Someone approves one and rejects the other in Quantive's web app. The reads counted
    # are those after both: one that came between the two would see only one decided.
    bot.emulator.state.decide(approved, approve=True)
    bot.emulator.state.decide(rejected, approve=False)
    decided_at = time.time()

    def settled() -> bool:
        statuses = {record(bot, approved).status, record(bot, rejected).status}
        return statuses == {"approved", "rejected"}

    wait_until(settled, timeout=10)
    # Both were settled by the second read of the queue after the decisions: two intervals.
    last_settled = max(record(bot, key).decided_at or 0.0 for key in (approved, rejected))
    reads = [
        c.at
        for c in bot.emulator.calls.all()
        if c.route == QUEUE_READ and decided_at <= c.at <= last_settled
    ]
    assert 1 <= len(reads) <= 2, reads

    for key, status in ((approved, "approved"), (rejected, "rejected")):
        kept = record(bot, key)
        assert kept.status == status
        assert kept.decided_by is not None and kept.decided_by.via == "quantive"
        assert kept.decided_at is not None
    # Every request message is redrawn, without its buttons.
    updates = bot.slack.wait_calls("chat.update", count=4)
    redrawn = {(u["channel"], "Approved in Quantive" in str(u["blocks"])) for u in updates}
    assert redrawn == {(c, w) for c in ("DUMARIA", "DUOLIVER") for w in (True, False)}
    assert all("Declined in Quantive" in str(u["blocks"]) for u in updates if "Visionary" in str(u))
    assert all(b["type"] != "actions" for u in updates for b in u["blocks"])
    # The giver hears both outcomes, the recipient gets the approved one, it is celebrated.
    posted = bot.slack.wait_calls("chat.postMessage", count=8)[4:]
    giver = [str(p["blocks"]) for p in posted if p["channel"] == "DUAMARA"]
    assert len(giver) == 2
    assert any("was approved" in g for g in giver) and any("not approved" in g for g in giver)
    assert sorted(p["channel"] for p in posted) == ["CGENERAL", "DUAMARA", "DUAMARA", "DULIAM"]

    # A late click on either: no Quantive call, nothing changes, and it says why.
    quiet = len(bot.slack.calls)
    bot.click("approve_award", rejected, "UMARIA", response_key="late-approve")
    bot.click("reject_award", approved, "UOLIVER", response_key="late-reject")
    answers = {
        r["_key"]: r["text"]
        for r in bot.slack.wait_calls(
            "response_url", count=2, where=lambda r: r["_key"].startswith("late")
        )
    }
    assert "already declined in Quantive" in answers["late-approve"]
    assert "already approved in Quantive" in answers["late-reject"]
    bot.wait_idle()
    assert all(bot.emulator.calls.count(route) == 0 for route in DECISION_CALLS)
    assert record(bot, approved).status == "approved" and record(bot, rejected).status == "rejected"
    # Nothing is posted, redrawn or asked for (a profile may be read: that is all).
    later = {c.method for c in bot.slack.calls[quiet:]}
    assert later <= {"response_url", "users.info"}
    assert len(bot.slack.calls_of("chat.postMessage")) == 8  # nobody was told twice


def test_teams_cards_are_redrawn_and_a_late_click_calls_nothing(
    emulator, slack, teams, database_url
) -> None:
    bot = BotHarness(emulator, slack, database_url, **teams.settings(), **FAST_SYNC).start()
    try:
        award = give_for_approval(bot, teams)
        cards = approval_cards(teams)
        emulator.state.decide(award["id"], approve=True)
        wait_until(lambda: record(bot, award["id"]).status == "approved", timeout=10)
        wait_until(lambda: len(teams.updates()) == len(cards))
        assert all("Approved in Quantive" in texts(card_of(u["body"])) for u in teams.updates())
        wait_until(lambda: any("was approved" in t for t in sent_to(teams, "a:amara")))
        wait_until(lambda: any("You received" in t for t in sent_to(teams, "a:liam")))

        olivers = next(c for c in cards if c["conversation"] == "a:oliver")
        click = teams.click(olivers, action(card_of(olivers), "approve"), user="29:oliver")
        answer = send(bot, teams, click).json()
        assert "Approved in Quantive" in texts(answer["value"]) and actions(answer["value"]) == []
        assert all(emulator.calls.count(route) == 0 for route in DECISION_CALLS)
    finally:
        bot.stop()


def test_a_click_that_found_the_award_gone_is_settled_as_quantive_decided(
    sync_bot: BotHarness,
) -> None:
    bot = sync_bot
    key = give(bot, "give <@ULIAM|liam> Team Player thanks", 0)
    bot.emulator.state.decide(key, approve=False)
    # An approver clicks before the sync has looked: Quantive says it is decided already.
    bot.click("approve_award", key, "UMARIA", response_key="early")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "early")
    assert "already approved or rejected in Quantive" in reply["text"]
    # The next sync tells what it became, and the giver hears it.
    wait_until(lambda: record(bot, key).status == "rejected", timeout=10)
    bot.slack.wait_calls(
        "chat.update", count=2, where=lambda u: "Declined in Quantive" in str(u["blocks"])
    )
    bot.slack.wait_calls(
        "chat.postMessage",
        where=lambda p: p["channel"] == "DUAMARA" and "not approved" in str(p["blocks"]),
    )


def test_an_award_to_someone_who_held_the_badge_already_is_shown_as_handled(
    sync_bot: BotHarness,
) -> None:
    """Amara holds Mentor already: holding it proves nothing about this award, so the
    messages say only that it was handled in Quantive, and it is not read about again."""
    bot = sync_bot
    key = give(bot, "give <@UAMARA|amara> Mentor once more", 0, user="ULIAM")
    bot.emulator.state.decide(key, approve=True)
    wait_until(lambda: record(bot, key).status == "handled", timeout=10)
    kept = record(bot, key)
    assert kept.decided_by is not None and kept.decided_by.via == "quantive"
    updates = bot.slack.wait_calls("chat.update", count=2)
    assert all("Already handled in Quantive" in str(u["blocks"]) for u in updates)
    holders = bot.emulator.calls.count("GET /badges/assign/{id}")
    reads = bot.emulator.calls.count(QUEUE_READ)
    wait_until(lambda: bot.emulator.calls.count(QUEUE_READ) >= reads + 2, timeout=10)
    assert bot.emulator.calls.count("GET /badges/assign/{id}") == holders
    giver_told = [p for p in bot.slack.calls_of("chat.postMessage") if p["channel"] == "DULIAM"]
    assert giver_told == []


def test_an_award_missing_from_one_read_only_is_left_waiting(
    sync_bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offset paging can hide an award that still waits (the list shifted while it was
    read): one miss settles nothing."""
    bot = sync_bot
    key = give(bot, "give <@ULIAM|liam> Team Player thanks", 0)
    services: Services = bot.app.state.services
    quantive = services.quantive
    real = quantive.list_pending_approvals
    reads = {"n": 0}

    async def one_read_misses_it():  # type: ignore[no-untyped-def]
        reads["n"] += 1
        listed = await real()
        return [a for a in listed if a.id != key] if reads["n"] == 1 else listed

    monkeypatch.setattr(quantive, "list_pending_approvals", one_read_misses_it)
    wait_until(lambda: reads["n"] >= 4, timeout=10)
    assert record(bot, key).status == "pending"
    assert bot.slack.calls_of("chat.update") == []


@pytest.mark.both_backends
async def test_one_process_reads_the_queue_and_another_takes_over(
    emulator, database_url: str, backend: str
) -> None:
    """Two processes' syncs over one database: only the lease holder reads the queue; when
    it stops renewing, the other carries on."""
    settings = load_settings(
        **_quantive_settings(emulator), database_url=database_url, quantive_sync_seconds=0.01
    )
    first, second = Services.create(settings), Services.create(settings)
    try:
        # One award the bot knows waits (with none, the sync has nothing to compare).
        waiting = Award(
            assignment_id="64d000000000000000000001",
            badge_id="64c000000000000000000001",
            badge_name="Team Player",
            giver=Party(name="Maria"),
        )
        await first.store.add_seen_award(award_row(waiting))
        a, b = QuantiveSync(first), QuantiveSync(second)
        a.lease_seconds = b.lease_seconds = 0.3
        start = emulator.calls.count(QUEUE_READ)
        for _ in range(3):
            await asyncio.sleep(0.02)  # past the 0.01 s interval
            await a.run_due()
            await b.run_due()
        assert (a.reads, b.reads) == (3, 0)
        assert emulator.calls.count(QUEUE_READ) - start == 3
        # The holder stops; its lease runs out and the other takes it, for long enough
        # that the check below holds however slow the machine is.
        b.lease_seconds = 30.0
        deadline = time.monotonic() + 5
        while b.reads == 0 and time.monotonic() < deadline:
            await b.run_due()
            await asyncio.sleep(0.05)
        assert b.reads >= 1
        assert not await first.store.take_lease(LEASE, "someone-else", 1.0)
    finally:
        await first.aclose()
        await second.aclose()


def _quantive_settings(emulator) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from api.emulator import DEFAULT_TOKEN

    return {
        "quantive_api_url": emulator.url,
        "quantive_api_token": DEFAULT_TOKEN,
        "quantive_account_id": emulator.account_id,
    }


async def test_a_zero_interval_turns_the_sync_off(emulator, database_url: str) -> None:
    settings = load_settings(
        **_quantive_settings(emulator), database_url=database_url, quantive_sync_seconds=0
    )
    services = Services.create(settings)
    try:
        start = emulator.calls.count(QUEUE_READ)
        sync = QuantiveSync(services)
        assert await sync.run_due() == [] and sync.reads == 0
        assert emulator.calls.count(QUEUE_READ) == start
    finally:
        await services.aclose()


async def test_with_no_award_waiting_nothing_is_read(emulator, database_url: str) -> None:
    settings = load_settings(**_quantive_settings(emulator), database_url=database_url)
    services = Services.create(settings)
    try:
        sync = QuantiveSync(services)
        assert await sync.sync_once() == [] and sync.reads == 0
        assert emulator.calls.count(QUEUE_READ) == 0
    finally:
        await services.aclose()


def test_the_sync_interval_is_validated() -> None:
    assert Settings().quantive_sync_seconds == 60
    with pytest.raises(SettingsError, match="QUANTIVE_SYNC_SECONDS"):
        load_settings(quantive_sync_seconds=-1)
    with pytest.raises(SettingsError, match="QUANTIVE_SYNC_SECONDS"):
        load_settings(quantive_sync_seconds="soon")


def test_the_evidence_of_an_award_that_left_the_queue() -> None:
    # A newcomer (did not hold the badge before the give) who holds it now: approved.
    assert verdict(["liam"], ["maria"], {"maria", "liam"}) is True
    assert verdict(["liam"], ["maria"], {"maria"}) is False
    # Everyone held it before: holding it now proves nothing about this award.
    assert verdict(["liam"], ["liam"], {"liam"}) is None
    # No record of who held it before (given in Quantive): holding it now is the evidence.
    assert verdict(["liam"], None, {"liam"}) is True
    assert verdict(["liam"], None, set()) is False
    assert verdict([], None, {"liam"}) is None
