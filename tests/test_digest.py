"""The daily digest: schedule, content, exactly-once posting, and the end-to-end click."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from api.emulator import Emulator, Fault
from bot.awards import Award, Party
from bot.cli.scheduled import workspaces_runtime
from bot.clock import Clock, came_due, run_clock
from bot.schedule import digest_trigger, next_digest_time, recap_trigger
from bot.settings import Settings
from handlers.slack.app import slack_runtime as real_slack_runtime
from handlers.slack.digest_blocks import MAX_MESSAGE_BLOCKS, digest_blocks
from tests.harness import BotHarness, quick_slack_retries

BERLIN = ZoneInfo("Europe/Berlin")


def slack_runtime(settings: Settings):
    """The clock's runtime, with slack_sdk's retries at millisecond waits."""
    return real_slack_runtime(settings, quick_slack_retries())


def settings_for(bot: BotHarness, **changes) -> Settings:
    return bot.settings.model_copy(update=changes)


def seed_pending(emulator: Emulator, count: int, comment: str = "thanks") -> list[str]:
    """Replace the pending awards with ``count`` new ones, the oldest first in id order."""
    state = emulator.state
    for key in [k for k, a in state.assignments.items() if a["status"] == "pending"]:
        del state.assignments[key]
    givers = ["64a000000000000000000003", "64a000000000000000000005"]
    ids = []
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(count):
        liam_and_design = ["64a000000000000000000004", "64b000000000000000000002"]
        award = state.assign(
            {
                "badgeId": "64c000000000000000000002",
                "assigneeIds": liam_and_design,
                "assignedById": givers[i % 2],
                "comment": f"{comment} #{i}",
            }
        )
        state.assignments[award["id"]]["assignedOn"] = (
            (start + timedelta(hours=i)).isoformat().replace("+00:00", "Z")
        )
        ids.append(award["id"])
    return ids


# --- schedule -------------------------------------------------------------------------


def test_next_runs_cross_daylight_saving_in_berlin() -> None:
    settings = Settings(digest_time="09:00", digest_timezone="Europe/Berlin", digest_days="mon-fri")
    with time_machine.travel(datetime(2026, 10, 22, 12, 0, tzinfo=UTC), tick=False):
        first = next_digest_time(settings)
    assert first == datetime(2026, 10, 23, 9, 0, tzinfo=BERLIN)
    assert first.astimezone(UTC).hour == 7  # summer time, UTC+2
    second = next_digest_time(settings, first + timedelta(minutes=1))
    assert second == datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)  # skips the weekend
    assert second.astimezone(UTC).hour == 8  # winter time, UTC+1


def test_the_digest_comes_due_at_its_time_across_daylight_saving() -> None:
    settings = Settings(
        digest_time="07:30", digest_timezone="America/New_York", digest_days="mon-fri"
    )
    trigger = digest_trigger(settings)
    # Friday 6 March is past 07:30 in New York; the next is Monday 9 March, after the
    # switch to daylight saving time on Sunday 8 March: 11:30 UTC instead of 12:30.
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    assert not came_due(trigger, friday, datetime(2026, 3, 9, 11, 29, tzinfo=UTC))
    assert came_due(trigger, friday, datetime(2026, 3, 9, 11, 30, tzinfo=UTC))
    after = datetime(2026, 3, 9, 11, 30, tzinfo=UTC)
    assert not came_due(trigger, after, datetime(2026, 3, 9, 12, 31, tzinfo=UTC))  # once


def test_the_weekly_recap_comes_due_at_recap_time_in_its_zone() -> None:
    settings = Settings(recap_time="fri 16:00", recap_timezone="Asia/Tokyo")
    trigger = recap_trigger(settings)
    # Saturday noon UTC; the next Friday 16:00 in Tokyo is 07:00 UTC on 4 December.
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert not came_due(trigger, saturday, datetime(2026, 12, 4, 6, 59, tzinfo=UTC))
    assert came_due(trigger, saturday, datetime(2026, 12, 4, 7, 0, tzinfo=UTC))
    bad = Settings(recap_time="friday at four").problems_for("clock")
    assert any("RECAP_TIME" in p for p in bad)


class _Runs:
    """A digest or recap job that counts its runs, or fails."""

    def __init__(self, settings: Settings, fail: bool = False) -> None:
        self.settings = settings
        self.runs = 0
        self._fail = fail

    async def run(self) -> None:
        self.runs += 1
        if self._fail:
            raise RuntimeError("Quantive is down")


async def test_each_tick_runs_what_came_due_by_each_workspaces_own_times(caplog) -> None:
    early = Settings(digest_time="08:00", digest_timezone="Europe/Berlin", recap_time="fri 16:00")
    late = Settings(digest_time="10:00", digest_timezone="Europe/Berlin", recap_time="fri 16:00")
    broken = Settings(digest_time="08:00", digest_timezone="Europe/Berlin")
    jobs = {
        name: SimpleNamespace(name=name, digest=_Runs(s, fail=name == "broken"), recap=_Runs(s))
        for name, s in (("early", early), ("late", late), ("broken", broken))
    }
    clock_time = [datetime(2026, 12, 1, 6, 30, tzinfo=UTC)]  # Tuesday, 07:30 in Berlin

    async def jobs_now() -> list[SimpleNamespace]:
        return list(jobs.values())

    clock = Clock(jobs_now, now=lambda: clock_time[0])
    clock.since = clock_time[0]
    clock_time[0] = datetime(2026, 12, 1, 7, 1, tzinfo=UTC)  # 08:01 in Berlin
    assert await clock.tick() == ["digest early"]  # the broken one failed, alone
    assert "digest failed for broken: RuntimeError" in caplog.text
    clock_time[0] = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    assert await clock.tick() == ["digest late"]
    assert await clock.tick() == []  # nothing came due since
    assert [j.digest.runs for j in jobs.values()] == [1, 1, 1]


async def test_a_failed_tick_is_tried_again_from_the_same_time() -> None:
    settings = Settings(digest_time="08:00", digest_timezone="UTC")
    job = SimpleNamespace(name="one", digest=_Runs(settings), recap=_Runs(settings))
    calls = [0]

    async def jobs_now() -> list[SimpleNamespace]:
        calls[0] += 1
        if calls[0] == 1:
            raise OSError("the database is away")
        return [job]

    clock_time = [datetime(2026, 12, 1, 7, 59, tzinfo=UTC)]
    clock = Clock(jobs_now, now=lambda: clock_time[0])
    clock.since = clock_time[0]
    clock_time[0] = datetime(2026, 12, 1, 8, 1, tzinfo=UTC)
    assert await clock.tick() == []  # failed: nothing run, the time not passed over
    clock_time[0] = datetime(2026, 12, 1, 8, 2, tzinfo=UTC)
    assert await clock.tick() == ["digest one"]


async def test_a_tick_over_the_clock_processes_own_jobs_posts_the_digest(
    bot: BotHarness, caplog
) -> None:
    """The tick over the jobs `python -m bot clock` makes (bot.cli.scheduled), not stand-ins:
    a tick across the digest's time posts it; the one after posts nothing."""
    seed_pending(bot.emulator, 2)
    settings = settings_for(
        bot,
        digest_channels=["CHR"],
        digest_time="08:00",
        digest_timezone="UTC",
        digest_days="mon-sun",
    )
    async with workspaces_runtime(settings) as jobs_now:
        names = [jobs.name for jobs in await jobs_now()]
        moment = [datetime(2026, 12, 1, 7, 59, tzinfo=UTC)]
        clock = Clock(jobs_now, now=lambda: moment[0])
        clock.since = moment[0]
        moment[0] = datetime(2026, 12, 1, 8, 1, tzinfo=UTC)
        assert await clock.tick() == [f"digest {name}" for name in names]
        moment[0] = datetime(2026, 12, 1, 8, 2, tzinfo=UTC)
        assert await clock.tick() == []
    assert "failed" not in caplog.text
    [posted] = bot.slack.calls_of("chat.postMessage")
    assert posted["channel"] == "CHR" and "2 badge awards" in posted["text"]


class _Unposted(_Runs):
    """A digest whose channel refuses the post the first ``times`` runs (or always)."""

    def __init__(self, settings: Settings, times: int | None) -> None:
        super().__init__(settings)
        self._times = times

    async def run(self) -> SimpleNamespace:
        self.runs += 1
        refused = self._times is None or self.runs <= self._times
        return SimpleNamespace(failed={"CHR": "not_in_channel"} if refused else {})


async def test_a_digest_that_could_not_post_is_tried_again_for_an_hour(caplog) -> None:
    settings = Settings(digest_time="08:00", digest_timezone="UTC")
    once = SimpleNamespace(name="once", digest=_Unposted(settings, 1), recap=_Runs(settings))
    never = SimpleNamespace(name="never", digest=_Unposted(settings, None), recap=_Runs(settings))
    moment = [datetime(2026, 12, 1, 7, 59, tzinfo=UTC)]

    async def jobs_now() -> list[SimpleNamespace]:
        return [once, never]

    clock = Clock(jobs_now, now=lambda: moment[0])
    clock.since = moment[0]
    for minute, posted in ((1, []), (2, ["digest once"]), (3, []), (30, []), (61, [])):
        moment[0] = datetime(2026, 12, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=minute)
        assert await clock.tick() == posted, minute
    assert "digest for once not posted to CHR: not_in_channel" in caplog.text
    assert once.digest.runs == 2  # refused, then posted; never run again
    assert never.digest.runs == 4  # 08:01, 08:02, 08:03, 08:30; not after the hour


async def test_clock_runs_the_scheduler_until_stopped(caplog) -> None:
    caplog.set_level(logging.INFO)
    stop, started, ticked = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def jobs_now() -> list[object]:
        ticked.set()
        return []

    clock = asyncio.create_task(run_clock(jobs_now, stop=stop, started=started))
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(ticked.wait(), 5)  # the first tick runs at once
    stop.set()
    await asyncio.wait_for(clock, 5)
    assert "clock started" in caplog.text


async def test_a_stop_lets_the_tick_under_way_finish() -> None:
    """SIGTERM sets the stop while a tick posts: the clock returns only after that tick,
    so a digest it claimed is not left unposted for the day."""
    stop, started, in_tick, release = (asyncio.Event() for _ in range(4))
    finished: list[bool] = []

    async def jobs_now() -> list[object]:
        in_tick.set()
        await release.wait()
        finished.append(True)
        return []

    clock = asyncio.create_task(run_clock(jobs_now, stop=stop, started=started))
    await asyncio.wait_for(in_tick.wait(), 5)
    stop.set()
    # Long enough for a clock that does not wait to have returned first.
    asyncio.get_running_loop().call_later(0.1, release.set)
    await asyncio.wait_for(clock, 5)
    assert finished == [True]


# --- content --------------------------------------------------------------------------


def view(i: int, comment: str = "nice") -> Award:
    return Award(
        assignment_id=f"a{i}",
        badge_id="b",
        badge_name="Visionary",
        badge_icon="telescope",
        giver=Party(name="Amara", chat_user_id="UAMARA"),
        recipients=[Party(name="Liam", chat_user_id="ULIAM"), Party(name="Design", is_team=True)],
        comment=comment,
        assigned_on="2026-11-20T09:00:00Z",
    )


def test_content_for_one() -> None:
    blocks = digest_blocks(
        [view(1, "<!channel> x" + "y" * 5000)], 1, datetime(2026, 11, 23, 10, tzinfo=UTC)
    )
    assert blocks[0]["text"]["text"] == "1 badge award is waiting for approval"
    text = blocks[1]["text"]["text"]
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "waiting 3 days" in text and "*Design*" in text and "<@ULIAM>" in text
    assert len(text) <= 3000
    assert blocks[2]["type"] == "actions"


def test_content_for_many_respects_block_limit() -> None:
    views = [view(i) for i in range(120)]
    blocks = digest_blocks(views, 120)
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    assert blocks[0]["text"]["text"] == "120 badge awards are waiting for approval"
    assert "96 more" in str(blocks[-1]) and "/badge pending" in str(blocks[-1])
    values = [b["elements"][0]["value"] for b in blocks if b["type"] == "actions"]
    assert values == [f"a{i}" for i in range(24)]
    assert len({b.get("block_id") for b in blocks if b["type"] == "actions"}) == 24


# --- against the emulator and fake Slack ----------------------------------------------


async def test_nothing_pending_posts_nothing_unless_asked(bot: BotHarness) -> None:
    seed_pending(bot.emulator, 0)
    async with slack_runtime(settings_for(bot, digest_channels=["CHR"])) as ctx:
        report = await ctx.digest.run()
    assert report.posted == [] and bot.slack.calls_of("chat.postMessage") == []
    async with slack_runtime(
        settings_for(bot, digest_channels=["CHR"], digest_when_empty=True)
    ) as ctx:
        report = await ctx.digest.run()
    [posted] = bot.slack.calls_of("chat.postMessage")
    assert "0 badge awards" in posted["text"]


async def test_120_pending_oldest_first_with_batched_lookups(bot: BotHarness) -> None:
    ids = seed_pending(bot.emulator, 120, comment="<!channel> look")
    bot.emulator.calls.clear()
    async with slack_runtime(settings_for(bot, digest_channels=["CHR", "CMGMT"])) as ctx:
        report = await ctx.digest.run()
    assert sorted(report.posted) == ["CHR", "CMGMT"] and report.pending == 120
    posts = bot.slack.calls_of("chat.postMessage")
    assert len(posts) == 2
    blocks = posts[0]["blocks"]
    assert len(blocks) <= 50
    shown = [b["elements"][0]["value"] for b in blocks if b["type"] == "actions"]
    assert shown == ids[:24]
    assert "<!channel>" not in str(blocks)
    routes = [c.route for c in bot.emulator.calls.all()]
    assert routes.count("GET /badges/approve") == 2  # two pages of 100
    assert routes.count("GET /users") == 1  # three people, one page
    assert routes.count("GET /teams") == 1
    lookups = bot.slack.calls_of("users.lookupByEmail")
    assert len(lookups) == 3  # one per distinct person, not per award


@pytest.mark.both_backends
async def test_two_runs_and_two_concurrent_runs_post_once(bot: BotHarness) -> None:
    seed_pending(bot.emulator, 3)
    settings = settings_for(bot, digest_channels=["CHR", "CMGMT"])
    async with slack_runtime(settings) as first, slack_runtime(settings) as second:
        reports = await asyncio.gather(first.digest.run(), second.digest.run())
        again = await first.digest.run()
    posted = sorted(c for r in reports for c in r.posted)
    assert posted == ["CHR", "CMGMT"]
    assert again.posted == [] and sorted(again.already_posted) == ["CHR", "CMGMT"]
    assert len(bot.slack.calls_of("chat.postMessage")) == 2
    async with slack_runtime(settings) as ctx:
        forced = await ctx.digest.run(force=True, channels=["CHR"])
    assert forced.posted == ["CHR"] and len(bot.slack.calls_of("chat.postMessage")) == 3


@pytest.mark.both_backends
async def test_crash_after_claim_does_not_post_twice(bot: BotHarness) -> None:
    seed_pending(bot.emulator, 1)
    settings = settings_for(bot, digest_channels=["CHR"])
    async with slack_runtime(settings) as ctx:
        day = datetime.now(ctx.digest.timezone).date().isoformat()
        assert await ctx.services.store.claim_digest("CHR", day)  # claimed, then "crashed"
        report = await ctx.digest.run()
    assert report.already_posted == ["CHR"] and bot.slack.calls_of("chat.postMessage") == []


async def test_subscribed_channels_and_rate_limit_retry(bot: BotHarness) -> None:
    seed_pending(bot.emulator, 2)
    bot.command("digest here", user="UMARIA", channel="CSUBSCRIBED", response_key="sub")
    [reply] = bot.slack.wait_calls("response_url")
    assert "will get the digest" in reply["text"]
    bot.slack.fail_next("chat.postMessage", 1, status=429, retry_after=1)
    async with slack_runtime(settings_for(bot, digest_channels=["CHR"])) as ctx:
        report = await ctx.digest.run()
    assert sorted(report.posted) == ["CHR", "CSUBSCRIBED"]
    assert len(bot.slack.calls_of("chat.postMessage:failed")) == 1


def test_only_approvers_subscribe_and_status_lists_channels(bot: BotHarness) -> None:
    bot.command("digest here", user="USOFIA", channel="CX", response_key="a")
    bot.command("digest here", user="UOLIVER", channel="CX", response_key="b")
    bot.slack.wait_calls("response_url", count=2)
    bot.command("digest", user="USOFIA", channel="CX", response_key="c")
    replies = {r["_key"]: r["text"] for r in bot.slack.wait_calls("response_url", count=3)}
    assert "Only approvers" in replies["a"]
    assert "<#CX>" in replies["c"] and "next:" in replies["c"]
    bot.command("digest off", user="UOLIVER", channel="CX", response_key="d")
    replies = {r["_key"]: r["text"] for r in bot.slack.wait_calls("response_url", count=4)}
    assert "no longer" in replies["d"]


async def test_approve_from_digest_updates_the_digest(bot: BotHarness) -> None:
    ids = seed_pending(bot.emulator, 2)
    async with slack_runtime(settings_for(bot, digest_channels=["CHR"])) as ctx:
        await ctx.digest.run()
    [digest] = bot.slack.calls_of("chat.postMessage")
    bot.click("approve_award", ids[0], "UMARIA", channel="CHR", ts="1700000000.000001")
    [update] = await asyncio.to_thread(bot.slack.wait_calls, "chat.update")
    assert update["channel"] == "CHR" and update["ts"] == "1700000000.000001"
    assert "Approved by <@UMARIA>" in str(update["blocks"])
    remaining = [b["elements"][0]["value"] for b in update["blocks"] if b["type"] == "actions"]
    assert remaining == [ids[1]]
    assert bot.emulator.state.assignments[ids[0]]["status"] == "approved"
    assert digest["channel"] == "CHR"  # the fake answered that post with ts ...000001


def test_digest_command_exit_codes(bot: BotHarness, monkeypatch, capsys) -> None:
    from bot.__main__ import main

    seed_pending(bot.emulator, 1)
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": f"{bot.slack.url}/api/",
        "QUANTIVE_API_URL": bot.emulator.url,
        "QUANTIVE_API_TOKEN": "emulator-token",
        "QUANTIVE_ACCOUNT_ID": bot.emulator.account_id,
        "DATABASE_URL": bot.settings.database,
        "QUANTIVE_MAX_RETRIES": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["digest", "--channel", "CONE"]) == 0
    assert "posted to 1" in capsys.readouterr().out
    assert main(["digest", "--channel", "CONE"]) == 0  # already posted today: nothing more
    assert len(bot.slack.calls_of("chat.postMessage")) == 1
    bot.emulator.faults.set("GET /badges/approve", Fault(status=503))
    assert main(["digest", "--force", "--channel", "CONE"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digest failed on Slack: Quantive") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("age,expected", [(0, "today"), (1, "1 day"), (5, "5 days")])
def test_age_text(age: int, expected: str) -> None:
    from handlers.slack.digest_blocks import age_text

    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert age_text((now - timedelta(days=age)).isoformat(), now) == expected


@pytest.mark.both_backends
async def test_slack_error_releases_the_claim_so_a_rerun_posts(bot: BotHarness) -> None:
    seed_pending(bot.emulator, 1)
    bot.slack.fail_next("chat.postMessage", 3, status=500)  # the first try and both retries
    settings = settings_for(bot, digest_channels=["CHR"])
    async with slack_runtime(settings) as ctx:
        failed = await ctx.digest.run()
        assert list(failed.failed) == ["CHR"] and failed.posted == []
        again = await ctx.digest.run()
    assert again.posted == ["CHR"]
    assert len(bot.slack.calls_of("chat.postMessage")) == 1
