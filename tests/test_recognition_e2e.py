"""Recognition features over HTTP (#15): the record of every give, the HR export, and the
give limits across a period boundary (frozen clock)."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime

import pytest
import time_machine

from bot.__main__ import main
from tests.harness import BotHarness, new_awards

HOSTILE = 'great, "quoted" work\nsecond line; =SUM(A1), done'


def export_env(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "QUANTIVE_API_URL": bot.emulator.url,
        "QUANTIVE_API_TOKEN": "emulator-token",
        "QUANTIVE_ACCOUNT_ID": bot.emulator.account_id,
        "DATABASE_URL": bot.settings.database,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def give(bot: BotHarness, text: str, user: str = "UAMARA", key: str = "g") -> str:
    bot.command(f"give {text}", user=user, response_key=key)
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == key)
    return reply["text"]


@pytest.mark.both_backends
def test_the_export_round_trips_hostile_comments(
    bot: BotHarness, monkeypatch, tmp_path, capsys
) -> None:
    assert "Sent for approval" in give(bot, f"<@ULIAM|liam> Visionary {HOSTILE}")
    assert "Done!" in give(bot, "<@USOFIA|sofia> Mentor direct", user="UMARIA", key="d")
    bot.wait_idle()
    [request] = bot.slack.calls_of("chat.postMessage")[:1]
    pending_id = request["blocks"][-1]["elements"][0]["value"]
    bot.click("approve_award", pending_id, "UOLIVER", channel="DUOLIVER")
    bot.wait_idle()
    export_env(bot, monkeypatch)
    out = tmp_path / "awards.csv"
    assert main(["export", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert len(rows) == 2
    first, second = rows
    assert first["comment"] == HOSTILE  # commas, quotes and newlines intact
    assert first["badge"] == "Visionary" and first["status"] == "approved"
    assert first["giver_email"] == "amara.okafor@acme.example"
    assert first["recipient_emails"] == "Liam.Chen@acme.example"  # as Quantive spells it
    assert first["assignment_id"] == pending_id and first["platform"] == "slack"
    assert first["decided_at"] and first["decided_by"] == "oliver.smith@acme.example"
    assert second["status"] == "approved" and second["giver_email"] == "maria.garcia@acme.example"
    raw = out.read_text()
    assert "xoxb" not in raw and "emulator-token" not in raw
    # JSON lines, and a window that excludes everything.
    assert main(["export", "--format", "jsonl", "--since", "2026-01-01"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["comment"] for r in lines][:1] == [HOSTILE]
    assert main(["export", "--until", "2000-01-01"]) == 0
    assert capsys.readouterr().out.strip().splitlines() == [",".join(_columns())]


def _columns() -> list[str]:
    from bot.export import COLUMNS

    return COLUMNS


def test_the_holders_snapshot_lists_quantive_holders(bot: BotHarness, monkeypatch, capsys) -> None:
    export_env(bot, monkeypatch)
    assert main(["export", "--holders"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {"badge", "holder", "holder_email", "kind"} == set(rows[0])
    assert any(r["badge"] == "Mentor" for r in rows)


@pytest.fixture
def limited_bot(emulator, slack, database_url):
    harness = BotHarness(
        emulator,
        slack,
        database_url,
        badge_give_limit="2/week",
        badge_give_limit_exempt=["USOFIA"],
        digest_timezone="Europe/Berlin",
    ).start()
    yield harness
    harness.stop()


def test_the_give_limit_counts_per_recipient_and_resets_with_the_week(limited_bot) -> None:
    bot = limited_bot
    # Sunday evening in Berlin: the week ends at midnight.
    with time_machine.travel(datetime(2026, 11, 29, 20, 0, tzinfo=UTC), tick=True):
        assert "Sent for approval" in give(bot, "<@ULIAM|liam> <@UNOAH|noah> Visionary a", key="1")
        refused = give(bot, "<@UPRIYA|priya> Mentor b", key="2")
        assert "Nothing was awarded" in refused and "2 per week" in refused
        assert "resets Mon 30 Nov" in refused
        assert bot.emulator.calls.count("POST /badges/assign") == 1  # nothing sent for "b"
        # Sofia is exempt: her third give in the week goes through.
        for n, who in enumerate(["<@UPRIYA|priya>", "<@UKENJI|kenji>", "<@UEMMA|emma>"]):
            assert "Sent for approval" in give(bot, f"{who} Mentor exempt", "USOFIA", f"s{n}")
        bot.command("mine", user="UAMARA", response_key="m")
        [mine] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "m")
        assert "0 of 2 gives left this week" in str(mine)
    with time_machine.travel(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), tick=True):
        # 00:30 on Monday in Berlin: a new week.
        assert "Sent for approval" in give(bot, "<@UPRIYA|priya> Mentor c", key="5")


def test_a_rejected_award_gives_its_count_back(limited_bot) -> None:
    bot = limited_bot
    assert "Sent for approval" in give(bot, "<@ULIAM|liam> <@UNOAH|noah> Visionary a", key="1")
    bot.wait_idle()
    request = bot.slack.calls_of("chat.postMessage")[0]
    bot.click("reject_award", request["blocks"][-1]["elements"][0]["value"], "UMARIA")
    [opened] = bot.slack.wait_calls("views.open")
    values = {"reason": {"reason": {"type": "plain_text_input", "value": "not now"}}}
    bot.submit(opened["view"], values, user="UMARIA")
    bot.wait_idle()
    assert "Sent for approval" in give(bot, "<@UPRIYA|priya> Mentor again", key="2")


def test_top_week_counts_awards_given_through_the_bot_and_says_so(bot: BotHarness) -> None:
    assert "Done!" in give(bot, "<@USOFIA|sofia> <@ULIAM|liam> Mentor a", user="UMARIA", key="1")
    assert "Done!" in give(bot, "<@USOFIA|sofia> Visionary b", user="UOLIVER", key="2")
    assert "Sent for approval" in give(bot, "<@UNOAH|noah> Mentor pending", key="3")
    bot.command("top week", user="UAMARA", response_key="t")
    [board] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "t")
    text = str(board["blocks"])
    assert "Most recognised people* this week" in text
    lines = [b["text"]["text"] for b in board["blocks"] if b["type"] == "section"]
    first, second = lines[0].splitlines()[1:3]
    assert "— 2" in first and "USOFIA" in first  # Sofia twice, Liam once; Noah waits
    assert "— 1" in second and "ULIAM" in second
    assert "NOAH" not in text
    context = board["blocks"][-1]["elements"][0]["text"]
    assert context.startswith("This week: 2 approved awards given through badgebot since Mon")
    bot.command("top", user="UAMARA", response_key="a")
    [all_time] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "a")
    assert "from Quantive" in all_time["blocks"][-1]["elements"][0]["text"]
    bot.command("top fortnight", user="UAMARA", response_key="f")
    [unknown] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "f")
    assert "Which period?" in unknown["text"]


def test_an_admin_gets_the_export_as_a_file_in_a_dm(bot: BotHarness) -> None:
    assert "Sent for approval" in give(bot, f"<@ULIAM|liam> Visionary {HOSTILE}")
    bot.command("export", user="UAMARA", response_key="no")
    [refused] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "no")
    assert "Only badge admins" in refused["text"]
    bot.command("export 2026-01-01", user="UMARIA", response_key="x")
    [done] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "x")
    assert "sent you the export (1 award)" in done["text"]
    [complete] = bot.slack.calls_of("files.completeUploadExternal")
    assert complete["channel_id"] == "DUMARIA"
    [content] = bot.slack.uploads.values()
    [row] = list(csv.DictReader(io.StringIO(content.decode())))
    assert row["comment"] == HOSTILE and row["status"] == "pending"


def test_the_weekly_recap_posts_once_per_channel_per_week_without_pings(bot: BotHarness) -> None:
    import asyncio

    from bot.cli.scheduled import recap_once as _recap_once

    settings = bot.settings.model_copy(
        update={"recap_channels": ["CKUDOS", "CTEAM"], "digest_timezone": "Europe/Berlin"}
    )
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with time_machine.travel(friday, tick=True):
        assert asyncio.run(_recap_once(settings, force=False, channel=None)) == 0
        assert bot.slack.calls_of("chat.postMessage") == []  # an empty week posts nothing
        give(bot, "<@USOFIA|sofia> <@ULIAM|liam> Mentor for the *launch*", user="UMARIA", key="1")
        give(bot, "<@USOFIA|sofia> Visionary roadmap", user="UOLIVER", key="2")
        give(bot, "<@UNOAH|noah> Mentor still waiting", key="3")
        bot.wait_idle()
        before = len(bot.slack.calls_of("chat.postMessage"))
        assert asyncio.run(_recap_once(settings, force=False, channel=None)) == 0
        assert asyncio.run(_recap_once(settings, force=False, channel=None)) == 0  # once
        recaps = bot.slack.calls_of("chat.postMessage")[before:]
        assert sorted(r["channel"] for r in recaps) == ["CKUDOS", "CTEAM"]
        blocks = str(recaps[0]["blocks"])
        assert "This week's recognition: 2 awards" in blocks
        assert "*Mentor* — 1" in blocks and "*Visionary* — 1" in blocks
        assert "Sofia Rossi" in blocks and "Liam Chen" in blocks and "Noah" not in blocks
        assert "<@" not in blocks and "<@" not in recaps[0]["text"]  # nobody is pinged
        forced = asyncio.run(_recap_once(settings, force=True, channel="CKUDOS"))
        assert forced == 0
        assert len(bot.slack.calls_of("chat.postMessage")) == before + 3
    with time_machine.travel(datetime(2026, 12, 4, 15, 0, tzinfo=UTC), tick=True):
        quiet = settings.model_copy(update={"recap_when_empty": True})
        assert asyncio.run(_recap_once(quiet, force=False, channel=None)) == 0
        latest = bot.slack.calls_of("chat.postMessage")[-1]
        assert "No awards this week" in str(latest["blocks"])  # a new week, posted anew


def reaction(bot: BotHarness, user: str, author: str | None, emoji: str, ts: str) -> None:
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": emoji,
        "item": {"type": "message", "channel": "CGENERAL", "ts": ts},
        "event_ts": f"{time.time()}",
    }
    if author:
        event["item_user"] = author
    assert bot.post_event(event).status_code == 200
    bot.wait_idle()


def ephemerals(bot: BotHarness) -> list[dict]:
    return bot.slack.calls_of("chat.postEphemeral")


def test_a_mapped_reaction_offers_the_badge_and_gives_once(bot: BotHarness) -> None:
    ts = "1700000000.000100"
    bot.slack.messages[("CGENERAL", ts)] = "Shipped the new onboarding flow, with docs and tests"
    reaction(bot, "UAMARA", "ULIAM", "bento", ts)  # not a badge emoji: nothing
    assert ephemerals(bot) == []
    reaction(bot, "UAMARA", "ULIAM", "telescope", ts)  # Visionary's icon
    [offer] = ephemerals(bot)
    assert offer["user"] == "UAMARA" and "Visionary" in str(offer["blocks"])
    give_button = offer["blocks"][1]["elements"][0]
    clicks = [
        bot.click("give_for_reaction", give_button["value"], "UAMARA", channel="CGENERAL")
        for _ in range(3)
    ]  # a triple click
    assert all(c.status_code == 200 for c in clicks)
    bot.wait_idle()
    assert bot.emulator.calls.count("POST /badges/assign") == 1
    [award] = new_awards(bot.emulator)
    assert "https://acme.slack.com/archives/CGENERAL/p1700000000000100" in award["comment"]
    assert "Shipped the new onboarding flow" in award["comment"]
    reaction(bot, "UAMARA", "ULIAM", "handshake", ts)  # a second badge emoji, same message
    reaction(bot, "UAMARA", "ULIAM", "telescope", ts)
    notes = [e for e in ephemerals(bot) if "already reacted" in e["text"]]
    assert len(notes) == 1  # explained once, never again


def test_own_and_bot_messages_give_nothing_and_are_explained_once(bot: BotHarness) -> None:
    reaction(bot, "UAMARA", "UAMARA", "telescope", "1700000000.000200")
    reaction(bot, "UAMARA", "UAMARA", "telescope", "1700000000.000200")
    reaction(bot, "UAMARA", "UROBOT", "telescope", "1700000000.000300")
    texts = [e["text"] for e in ephemerals(bot)]
    assert sum("your own message" in t for t in texts) == 1
    assert sum("from a bot" in t for t in texts) == 1
    assert bot.emulator.calls.count("POST /badges/assign") == 0


@pytest.mark.both_backends
def test_gives_at_the_same_moment_never_pass_the_limit_together(
    emulator, slack, database_url
) -> None:
    import threading

    bot = BotHarness(emulator, slack, database_url, badge_give_limit="1/week").start()
    try:
        people = ["ULIAM", "UNOAH", "UPRIYA", "UKENJI", "UEMMA", "USOFIA"]
        barrier = threading.Barrier(len(people))

        def one(n: int, who: str) -> None:
            barrier.wait(timeout=10)
            bot.command(f"give <@{who}|x> Mentor race {n}", user="UAMARA", response_key=f"r{n}")

        threads = [threading.Thread(target=one, args=(n, w)) for n, w in enumerate(people)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        replies = bot.slack.wait_calls("response_url", count=len(people), timeout=15)
        bot.wait_idle()
        made = new_awards(bot.emulator)
        sent = [r for r in replies if "Sent for approval" in r["text"]]
        refused = [r for r in replies if "Nothing was awarded" in r["text"]]
        # Never over the limit, and never under it: the first give recorded always passes.
        assert len(made) == 1 and len(sent) == len(made)
        assert len(sent) + len(refused) == len(people)
    finally:
        bot.stop()
