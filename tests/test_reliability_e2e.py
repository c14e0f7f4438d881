"""Nothing lost, nothing doubled: outages, unknown outcomes, Slack 429 storms, big bodies,
and secrets kept out of the logs. The app runs on loopback against the emulator."""

from __future__ import annotations

import json
import logging
import threading

from api.emulator import Fault
from tests.harness import (
    BOT_TOKEN,
    FAST_OUTBOX,
    SIGNING_SECRET,
    BotHarness,
    new_awards,
    signed_headers,
)
from tests.waiting import wait_until


def test_outage_queues_gives_and_delivers_each_once(fast_bot: BotHarness) -> None:
    bot = fast_bot
    bot.emulator.faults.set("POST /badges/assign", Fault(status=503))
    givers = ["UAMARA", "USOFIA", "UPRIYA"]
    for i, giver in enumerate(givers):
        bot.command(
            f"give <@ULIAM|liam> Team Player outage thanks {i}", user=giver, response_key=giver
        )
    queued = bot.slack.wait_calls("response_url", count=3)
    assert all("queued" in q["text"] for q in queued)
    assert new_awards(bot.emulator) == []
    # Keep Quantive down until the worker has retried each award at least once more.
    wait_until(lambda: bot.emulator.calls.count("POST /badges/assign") >= 6)
    assert new_awards(bot.emulator) == []
    bot.emulator.faults.clear()  # Quantive is back

    delivered = bot.slack.wait_calls(
        "chat.postEphemeral", count=3, timeout=15, where=lambda c: "went through" in c["text"]
    )
    assert sorted(d["user"] for d in delivered) == sorted(givers)
    bot.slack.wait_calls("chat.postMessage", count=6)  # two approvers x three requests
    awards = new_awards(bot.emulator)
    assert sorted(a["comment"] for a in awards) == [f"outage thanks {i}" for i in range(3)]
    assert all(a["status"] == "pending" for a in awards)


def test_unknown_outcome_creates_no_duplicate(emulator, slack, database_url) -> None:
    bot = BotHarness(emulator, slack, database_url, quantive_timeout=0.5, **FAST_OUTBOX).start()
    try:
        emulator.faults.set("POST /badges/assign", Fault(latency_after=1.0))  # twice the timeout
        bot.command("give <@ULIAM|liam> Visionary stored but slow", user="UAMARA")
        [answer] = slack.wait_calls("response_url")
        assert "didn't confirm" in answer["text"]
        slack.wait_calls(
            "chat.postEphemeral", where=lambda c: "went through" in c["text"], timeout=15
        )
        assert len(new_awards(bot.emulator)) == 1
        assert emulator.calls.count("POST /badges/assign") == 1
        slack.wait_calls("chat.postMessage", count=2)  # the approval requests, once each
    finally:
        bot.stop()


def test_slack_429_storm_loses_and_doubles_no_dm(fast_bot: BotHarness) -> None:
    bot = fast_bot
    bot.slack.fail_next("chat.postMessage", 14, status=429, retry_after=0)
    bot.command(
        "give <@ULIAM|liam> <@USOFIA|sofia> <@UPRIYA|priya> Rockstar storm",
        user="UMARIA",
        channel="CTEAM",
    )
    bot.slack.wait_calls("chat.postMessage", count=4, timeout=20)
    bot.slack.wait_for(lambda s: len(s.calls_of("chat.postMessage:failed")) == 14)
    # Snapshot only once nothing more can arrive: every listener done, the Slack outbox
    # empty, and a full worker round after that.
    bot.wait_idle()
    wait_until(lambda: bot.query(lambda store: store.chat_queue_length()) == 0)
    worker = bot.app.state.worker
    rounds = worker.rounds
    wait_until(lambda: worker.rounds >= rounds + 2)
    posted = [p["channel"] for p in bot.slack.calls_of("chat.postMessage")]
    assert sorted(posted) == ["CTEAM", "DULIAM", "DUPRIYA", "DUSOFIA"]


def test_body_over_a_megabyte_is_refused_before_parsing(bot: BotHarness) -> None:
    body = "text=" + "x" * 1_100_000
    assert bot.post(body).status_code == 413
    assert bot.slack.calls_of("response_url") == []


def test_long_comment_is_truncated_with_marker(bot: BotHarness) -> None:
    bot.command("give <@ULIAM|liam> Rockstar " + "great work " * 500, user="UAMARA")
    bot.slack.wait_calls("response_url")
    [award] = new_awards(bot.emulator)
    assert len(award["comment"]) == 1000 and award["comment"].endswith("…")


def test_no_secret_reaches_the_logs(fast_bot: BotHarness, caplog) -> None:
    bot = fast_bot
    caplog.set_level(logging.DEBUG)
    bot.command("give <@ULIAM|liam> Team Player logs", user="UAMARA")
    requests = bot.slack.wait_calls("chat.postMessage", count=2)
    award_id = requests[0]["blocks"][-1]["elements"][0]["value"]
    bot.click("approve_award", award_id, "UMARIA")
    bot.slack.wait_calls("chat.update", count=2)
    bot.emulator.faults.set("GET /badges/approve", Fault(status=500))
    bot.command("pending", user="UMARIA", response_key="err")
    [error] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "err")
    assert "trouble" in error["text"]
    bot.emulator.faults.set("POST /badges/assign", Fault(status=401, times=1))
    bot.command("give <@ULIAM|liam> Team Player again", user="UAMARA", response_key="401")
    [denied] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "401")
    assert "QUANTIVE_API_TOKEN" in denied["text"] and "emulator-token" not in denied["text"]
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (BOT_TOKEN, SIGNING_SECRET, "emulator-token"):
        assert secret not in text
    assert caplog.records  # something was logged, so the check means something


def test_concurrent_gives_of_the_same_award_each_land_once(fast_bot: BotHarness) -> None:
    bot = fast_bot
    threads = [
        threading.Thread(
            target=bot.command,
            args=(f"give <@ULIAM|liam> Mentor parallel {i}",),
            kwargs={"user": "UAMARA", "response_key": f"p{i}"},
        )
        for i in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bot.slack.wait_calls("response_url", count=5)
    assert sorted(a["comment"] for a in new_awards(bot.emulator)) == [
        f"parallel {i}" for i in range(5)
    ]


def test_signed_garbage_is_acknowledged_quietly(bot: BotHarness) -> None:
    assert bot.post("payload=not-json", signed_headers("payload=not-json")).status_code == 200
    body = "command=%2Fother&text=hi&user_id=UAMARA&channel_id=C1"
    assert bot.post(body).status_code == 200


def test_an_award_found_by_its_holders_has_no_made_up_id(
    emulator, slack, database_url, monkeypatch, capsys
) -> None:
    """Quantive made the award but its answer was lost; the worker recognised it by its
    holders, which carry no id. No id is made up: the export leaves it empty, and revoke
    says plainly to use Quantive instead of calling it with an invented one."""
    from bot.__main__ import main

    bot = BotHarness(emulator, slack, database_url, quantive_timeout=0.5, **FAST_OUTBOX).start()
    try:
        emulator.faults.set("POST /badges/assign", Fault(latency_after=1.0))
        bot.command("give <@ULIAM|liam> Visionary found later", user="UMARIA", response_key="g")
        slack.wait_calls("chat.postEphemeral", where=lambda c: "went through" in c["text"])
        bot.wait_idle()
        emulator.faults.clear()
        bot.command("revoke <@ULIAM|liam> Visionary", user="UMARIA", response_key="r")
        [answer] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "r")
        assert "Revoke it in Quantive" in answer["text"] and "blocks" not in answer
        assert emulator.calls.count("DELETE /badges/assign/{assigneeId}/{badgeAssignId}") == 0
        for key, value in {
            "QUANTIVE_API_URL": emulator.url,
            "QUANTIVE_API_TOKEN": "emulator-token",
            "QUANTIVE_ACCOUNT_ID": emulator.account_id,
            "DATABASE_URL": bot.settings.database,
        }.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        assert main(["export", "--format", "jsonl"]) == 0
        [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert row["assignment_id"] == "" and row["status"] == "approved"
    finally:
        bot.stop()


def test_a_give_shown_in_the_queue_before_its_answer_came_back_is_delivered_once(
    emulator, slack, database_url
) -> None:
    """Quantive queued the give but its answer was lost; an approver's `pending` showed it
    (the bot kept a record of it as seen in Quantive) before the worker matched the give.
    The give's record takes the award over: the giver hears once, nothing is sent again."""
    settings = {**FAST_OUTBOX, "outbox_retry_base": 1.0, "outbox_retry_cap": 1.0}
    bot = BotHarness(emulator, slack, database_url, quantive_timeout=0.5, **settings).start()
    try:
        emulator.faults.set("POST /badges/assign", Fault(latency_after=1.0))
        bot.command("give <@ULIAM|liam> Visionary seen first", user="UAMARA", response_key="g")
        [answer] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "g")
        assert "didn't confirm" in answer["text"]
        [award] = new_awards(emulator)
        bot.command("pending", user="UMARIA", response_key="p")
        [shown] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "p")
        assert award["id"] in str(shown["blocks"])
        slack.wait_calls(
            "chat.postEphemeral", where=lambda c: "went through" in c["text"], timeout=15
        )
        slack.wait_calls("chat.postMessage", count=2)  # the approvers, once each
        bot.wait_idle()
        assert sorted(r["channel"] for r in slack.calls_of("chat.postMessage")) == [
            "DUMARIA",
            "DUOLIVER",
        ]
        assert len(new_awards(emulator)) == 1
        assert emulator.calls.count("POST /badges/assign") == 1
    finally:
        bot.stop()
