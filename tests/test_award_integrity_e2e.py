"""Regression tests: never announce an award Quantive does not have, never make one twice,
never let one failed message silence the rest. Each drives the running app over HTTP with
signed requests, the fake Slack and the emulator, with faults injected."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
import urllib.parse

import pytest

from api import errors
from api.emulator import Fault
from api.models import AssignRequest
from tests.conftest import quantive_client
from tests.harness import (
    FAST_OUTBOX,
    SEEDED_AWARDS,
    SIGNING_SECRET,
    BotHarness,
    give_modal_values,
    new_awards,
    signed_headers,
)
from tests.test_digest import settings_for, slack_runtime
from tests.waiting import wait_until

MENTOR = "64c000000000000000000005"
AMARA = "64a000000000000000000003"


def texts(bot: BotHarness, method: str) -> list[str]:
    return [str(c.get("text", "")) + str(c.get("blocks", "")) for c in bot.slack.calls_of(method)]


# --- 1. an award announced that Quantive never made ------------------------------------


def test_holding_the_badge_already_is_not_evidence_of_this_award(fast_bot: BotHarness) -> None:
    bot = fast_bot
    # Amara already holds Mentor; Sofia (no approver) gives it again, Quantive answers 500
    # and stores nothing.
    bot.emulator.faults.set("POST /badges/assign", Fault(status=500, times=1))
    bot.command("give <@UAMARA|amara> Mentor again", user="USOFIA", response_key="give")
    [answer] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "give")
    assert "didn't confirm" in answer["text"] or "queued" in answer["text"]
    # No evidence of the award, so it is sent again once Quantive had time to settle.
    bot.slack.wait_calls(
        "chat.postEphemeral", where=lambda c: "waiting for approval" in c["text"], timeout=10
    )
    [award] = new_awards(bot.emulator)
    assert award["status"] == "pending" and award["assigneeIds"] == [AMARA]
    assert bot.emulator.calls.count("POST /badges/assign") == 2
    bot.wait_idle()
    everything = " ".join(texts(bot, "chat.postMessage") + texts(bot, "chat.postEphemeral"))
    assert "has been delivered" not in everything
    assert "You received" not in everything
    assert "awarded" not in " ".join(c["text"] for c in bot.slack.calls_of("chat.postMessage"))


def test_no_evidence_either_way_is_reported_uncertain_and_not_resent(
    fast_bot: BotHarness,
) -> None:
    bot = fast_bot
    # Maria is an approver, so her award would be approved at once: an empty queue and an
    # unchanged holders list cannot tell whether the 500 stored it.
    bot.emulator.faults.set("POST /badges/assign", Fault(status=500, times=1))
    bot.command("give <@UAMARA|amara> Mentor once more", user="UMARIA")
    [notice] = bot.slack.wait_calls(
        "chat.postEphemeral", where=lambda c: "can't tell" in c["text"], timeout=10
    )
    assert notice["user"] == "UMARIA"
    assert bot.emulator.calls.count("POST /badges/assign") == 1
    assert new_awards(bot.emulator) == []
    bot.wait_idle()
    assert not any("You received" in t for t in texts(bot, "chat.postMessage"))


# --- 2. one give, two awards, when Quantive is slow --------------------------------------


def test_slow_quantive_gets_time_to_finish_before_any_resend(emulator, slack, database_url) -> None:
    settings = {**FAST_OUTBOX, "quantive_timeout": 0.3, "quantive_settle_seconds": 2.0}
    bot = BotHarness(emulator, slack, database_url, **settings).start()
    try:
        # Quantive takes 1 s to store the award; the bot stops waiting after 0.3 s and
        # looks again once the settle time has passed (1 s to spare on a loaded machine).
        emulator.faults.set("POST /badges/assign", Fault(latency=1.0))
        bot.command("give <@ULIAM|liam> Visionary slow day", user="UAMARA")
        slack.wait_calls("chat.postEphemeral", where=lambda c: "went through" in c["text"])
        slack.wait_calls("chat.postMessage", count=2)  # the two approval requests
        assert emulator.calls.count("POST /badges/assign") == 1
        assert [a["comment"] for a in new_awards(bot.emulator)] == ["slow day"]
        bot.wait_idle()
        assert len(slack.calls_of("chat.postMessage")) == 2
    finally:
        bot.stop()


async def test_post_deadline_counts_the_wait_for_a_slot(emulator) -> None:
    client = quantive_client(emulator, timeout=0.4)
    client._slots = asyncio.Semaphore(1)
    await client._slots.acquire()  # every slot busy, as under load
    started = time.monotonic()
    with pytest.raises(errors.Unreachable):
        await client.assign_badge(
            AssignRequest(badge_id=MENTOR, assignee_ids=[AMARA], assigned_by_id=AMARA)
        )
    assert 0.35 < time.monotonic() - started < 1.0  # the deadline, slot wait included
    assert emulator.calls.count("POST /badges/assign") == 0  # never sent
    await client.aclose()


# --- 3 and 4. decisions whose answer is lost, or refused ---------------------------------


def give_pending(bot: BotHarness) -> str:
    bot.command("give <@ULIAM|liam> Team Player great pairing", response_key="give")
    bot.slack.wait_calls("chat.postMessage", count=2)
    [award] = [a for a in bot.emulator.state.pending() if a["id"] not in SEEDED_AWARDS]
    return award["id"]


def test_lost_approval_answer_still_tells_everyone(emulator, slack, database_url) -> None:
    bot = BotHarness(emulator, slack, database_url, **FAST_OUTBOX, quantive_timeout=0.5)
    bot.start()
    try:
        award_id = give_pending(bot)
        # Quantive approves, then answers after the bot stopped waiting.
        emulator.faults.set("POST /badges/approve/{id}", Fault(latency_after=1.0))
        bot.click("approve_award", award_id, "UMARIA", channel="DUMARIA", response_key="a")
        [checking] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "a")
        assert "checking" in checking["text"]
        updates = slack.wait_calls("chat.update", count=2)
        assert all("Approved by <@UMARIA>" in str(u["blocks"]) for u in updates)
        posted = slack.wait_calls("chat.postMessage", count=5)
        channels = {p["channel"] for p in posted[2:]}
        assert {"DUAMARA", "DULIAM", "CGENERAL"} <= channels
        assert emulator.state.assignments[award_id]["status"] == "approved"
        # A later click is told it is done, and calls nothing.
        before = emulator.calls.count("POST /badges/approve/{id}")
        bot.click("approve_award", award_id, "UOLIVER", channel="DUOLIVER", response_key="b")
        [again] = slack.wait_calls("response_url", where=lambda r: r["_key"] == "b")
        assert "already approved" in again["text"]
        assert emulator.calls.count("POST /badges/approve/{id}") == before
    finally:
        bot.stop()


def test_400_on_approve_leaves_the_award_decidable(fast_bot: BotHarness) -> None:
    bot = fast_bot
    award_id = give_pending(bot)
    bot.emulator.faults.set("POST /badges/approve/{id}", Fault(status=400, times=1))
    bot.click("approve_award", award_id, "UMARIA", channel="DUMARIA", response_key="first")
    [refused] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "first")
    assert refused["text"].startswith("Nothing changed")
    assert bot.emulator.state.assignments[award_id]["status"] == "pending"
    assert bot.slack.calls_of("chat.update") == []
    bot.click("approve_award", award_id, "UMARIA", channel="DUMARIA", response_key="second")
    bot.slack.wait_calls("chat.update", count=2)
    assert bot.emulator.state.assignments[award_id]["status"] == "approved"
    assert bot.emulator.calls.count("POST /badges/approve/{id}") == 2


# --- 5 and 6. one failed message does not stop the others ---------------------------------


async def test_deleted_digest_message_does_not_stop_the_news(bot: BotHarness) -> None:
    award_id = give_pending(bot)
    async with slack_runtime(settings_for(bot, digest_channels=["CHR"])) as ctx:
        await ctx.digest.run()
    digest = next(p for p in bot.slack.calls_of("chat.postMessage") if p["channel"] == "CHR")
    bot.slack.fail_with("chat.update", "message_not_found", where=lambda a: a["channel"] == "CHR")
    bot.click("approve_award", award_id, "UMARIA", channel="CHR", ts=str(digest.get("ts", "")))
    posted = await asyncio.to_thread(bot.slack.wait_calls, "chat.postMessage", 6)
    channels = {p["channel"] for p in posted[3:]}
    assert {"DUAMARA", "DULIAM", "CGENERAL"} <= channels
    # The digest update did fail (each effect runs on its own, so it may come last).
    await asyncio.to_thread(bot.slack.wait_calls, "chat.update:failed")


def test_unreachable_approver_does_not_stop_the_request_or_the_reply(bot: BotHarness) -> None:
    bot.slack.fail_with(
        "conversations.open", "user_disabled", where=lambda a: a.get("users") == "UOLIVER"
    )
    bot.command("give <@ULIAM|liam> Team Player thanks", response_key="give")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "give")
    assert "Sent for approval" in reply["text"]
    [request] = bot.slack.wait_calls("chat.postMessage")
    assert request["channel"] == "DUMARIA"


# --- 7 and 8. limits after escaping, and escaped fallbacks -------------------------------


def test_comment_that_grows_when_escaped_still_posts(fast_bot: BotHarness) -> None:
    bot = fast_bot
    bot.command("give <@ULIAM|liam> Team Player " + "&" * 1000, response_key="give")
    [reply] = bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "give")
    assert "Sent for approval" in reply["text"]
    requests = bot.slack.wait_calls("chat.postMessage", count=2)
    for request in requests:
        section = request["blocks"][0]["text"]["text"]
        assert 2000 < len(section) <= 3000 and "&amp;" in section
    assert bot.slack.calls_of("chat.postMessage:failed") == []


def test_invalid_blocks_fall_back_to_plain_text(bot: BotHarness) -> None:
    bot.slack.fail_with("chat.postMessage", "invalid_blocks", where=lambda a: "blocks" in a)
    bot.command("give <@ULIAM|liam> Team Player thanks", response_key="give")
    posted = bot.slack.wait_calls("chat.postMessage", count=2)
    plain = [p for p in posted if not p.get("blocks")]
    assert plain and "waiting for approval" in plain[0]["text"]


def test_names_from_quantive_and_users_never_ping_or_link(fast_bot: BotHarness) -> None:
    bot = fast_bot
    state = bot.emulator.state
    state.badges[MENTOR]["name"] = "<!here> Win <https://evil.example|free>"
    state.users["64a000000000000000000005"]["firstName"] = "<!channel>"  # Sofia
    bot.command("", user="USOFIA")
    [opened] = bot.slack.wait_calls("views.open")
    bot.submit(opened["view"], give_modal_values(["ULIAM"], MENTOR, "<!here> hi"), user="USOFIA")
    requests = bot.slack.wait_calls("chat.postMessage", count=2)
    award_id = requests[0]["blocks"][-1]["elements"][0]["value"]
    bot.click("approve_award", award_id, "UMARIA", channel="DUMARIA")
    bot.slack.wait_calls("chat.postMessage", count=5)
    bot.wait_idle()
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
        for call in bot.slack.calls_of(method):
            raw = json.dumps([call.get("text"), call.get("blocks")])
            for live in ("<!here>", "<!channel>", "<https://evil"):
                assert live not in raw, (method, raw)


# --- 9, 10, 11. requests: never a 500, never a second award from one request -----------


def test_malformed_requests_get_no_500(bot: BotHarness, caplog) -> None:
    body = bot.command_body("give <@ULIAM|liam> Team Player x")
    headers = {**signed_headers(body), "X-Slack-Request-Timestamp": "abc"}
    assert bot.post(body, headers).status_code == 401

    # Signed correctly over bytes that are not UTF-8: no Slack request looks like that.
    raw = b"payload=\xff\xfe\xfa"
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256)
    signature = "v0=" + digest.hexdigest()
    response = bot.http.post(
        bot.url,
        content=raw,
        headers={
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 401

    click = {"type": "block_actions", "user": {"id": "UMARIA"}, "team": {"id": "T1"}}
    assert bot.interactive({**click, "actions": []}).status_code == 200
    no_user = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "actions": [{"action_id": "approve_award", "value": "64d000000000000000000001"}],
    }
    assert bot.interactive(no_user).status_code == 200
    deep = "payload=" + urllib.parse.quote("[" * 100_000 + "]" * 100_000)
    assert bot.post(deep).status_code == 200
    bot.wait_idle()
    assert bot.emulator.calls.count("POST /badges/approve/{id}") == 0
    assert not [r for r in caplog.records if r.exc_info]


def test_chunked_body_is_cut_off_at_the_limit_whatever_the_headers_say(bot: BotHarness) -> None:
    host, port = bot.server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    chunk = b"x" * 65536
    sent = 0
    sock.settimeout(0.001)
    answer = b""
    try:
        while sent < 200 * 1024 * 1024:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BlockingIOError, TimeoutError):
                pass
            sent += len(chunk)
            try:
                answer = sock.recv(200)
            except (BlockingIOError, TimeoutError):
                continue
            break
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    assert sent < 40 * 1024 * 1024, "the server kept reading"
    assert answer == b"" or answer.split(b" ")[1] in (b"400", b"413")


def test_replayed_command_makes_one_award(fast_bot: BotHarness) -> None:
    bot = fast_bot
    body = bot.command_body("give <@ULIAM|liam> Mentor replayed", response_key="r")
    headers = signed_headers(body)
    for _ in range(3):
        assert bot.post(body, headers).status_code == 200
    bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "r")
    bot.wait_idle()
    assert [a["comment"] for a in new_awards(bot.emulator)] == ["replayed"]
    assert len(bot.slack.calls_of("response_url")) == 1


def test_events_api_retry_is_acknowledged_once(bot: BotHarness) -> None:
    event = {
        "token": "unused",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "EvRETRY1",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "UAMARA", "tab": "home"},
    }
    body = json.dumps(event)
    for retry in range(3):
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        if retry:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        assert bot.http.post(bot.url, content=body, headers=headers).status_code == 200
    bot.slack.wait_calls("views.publish")
    bot.wait_idle()
    assert len(bot.slack.calls_of("views.publish")) == 1


# --- 12. ids in URL paths ------------------------------------------------------------------


def test_forged_revoke_value_cannot_reach_another_endpoint(fast_bot: BotHarness) -> None:
    bot = fast_bot
    bot.command("give <@ULIAM|liam> Mentor approved at once", user="UMARIA")
    bot.slack.wait_calls("chat.postMessage", count=2)  # DM and celebration
    [award] = new_awards(bot.emulator)
    value = json.dumps(
        {"assignment_id": award["id"], "assignee_id": f"../../badges/{MENTOR}?x=", "badge": "M"}
    )
    bot.click("revoke_award", value, "UMARIA", response_key="rv")
    bot.slack.wait_calls("response_url", where=lambda r: r["_key"] == "rv")
    assert MENTOR in bot.emulator.state.badges
    routes = [c.route for c in bot.emulator.calls.all()]
    assert "DELETE /badges/{id}" not in routes
    assert "DELETE /badges/assign/{assigneeId}/{badgeAssignId}" not in routes


# --- 13. leases on the Slack outbox ----------------------------------------------------------


def test_two_processes_retry_each_queued_post_once(emulator, slack, database_url) -> None:
    first = BotHarness(emulator, slack, database_url, **FAST_OUTBOX).start()
    second = BotHarness(emulator, slack, database_url, **FAST_OUTBOX).start()
    try:
        # Twelve 429s: the DM and the celebration each run out of slack_sdk's 1 + 5 tries
        # and land in the Slack outbox that both processes' workers poll.
        slack.fail_next("chat.postMessage", 12, status=429, retry_after=0)
        first.command("give <@ULIAM|liam> Mentor shared outbox", user="UMARIA")
        posted = slack.wait_calls("chat.postMessage", count=2, timeout=15)
        assert sorted(p["channel"] for p in posted) == ["CGENERAL", "DULIAM"]
        wait_until(lambda: first.query(lambda store: store.chat_queue_length()) == 0)
        for harness in (first, second):
            worker = harness.app.state.worker
            rounds = worker.rounds
            wait_until(lambda worker=worker, rounds=rounds: worker.rounds >= rounds + 2)
        assert len(slack.calls_of("chat.postMessage")) == 2
    finally:
        first.stop()
        second.stop()


# --- 14. a give in flight when its process dies ----------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_give_in_flight_when_its_process_dies_is_finished_by_the_other(
    emulator, slack, database_url
) -> None:
    """Two apps on one database; the first dies mid-give, its award made in Quantive and
    its answer not yet back, as a kill -9 leaves it (test_restart_e2e has the real kill of
    this crash): cancelled where it stands, its outbox row still being sent. The other
    takes the row once it is stale, finds the award, and finishes it once."""
    doomed = BotHarness(emulator, slack, database_url, quantive_timeout=5).start()
    survivor = BotHarness(
        emulator, slack, database_url, **FAST_OUTBOX, quantive_timeout=0.3, outbox_stale_seconds=0.5
    ).start()
    try:
        # Quantive makes the award at once and answers a second later: the crash lands
        # after the award exists and before its answer.
        emulator.faults.set("POST /badges/assign", Fault(latency_after=1.0))
        doomed.command("give <@ULIAM|liam> Mentor mid-flight", user="UAMARA")
        wait_until(lambda: len(new_awards(emulator)) == 1)
        doomed.crash()
        emulator.faults.clear()
        told = slack.wait_calls(
            "chat.postEphemeral", timeout=10, where=lambda c: "went through" in c["text"]
        )
        assert told[0]["user"] == "UAMARA"
        survivor.wait_idle()
        assert [a["comment"] for a in new_awards(emulator)] == ["mid-flight"]
        assert emulator.calls.count("POST /badges/assign") == 1
    finally:
        doomed.stop()
        survivor.stop()


@pytest.mark.parametrize("key", ["held-99999999999999999999", "held-0", "held-007"])
def test_a_forged_held_key_clicked_in_slack_never_reaches_the_store(
    bot: BotHarness, key: str
) -> None:
    """A held key the bot could not have made is not a button of ours: nothing is claimed."""
    import asyncio

    from bot.store import Store

    bot.click("approve_award", key, "UMARIA", channel="DUMARIA", response_key="f")
    bot.wait_idle()

    async def claim() -> object:
        store = Store(bot.settings.database)
        try:
            return await store.decision(key)
        finally:
            await store.aclose()

    assert asyncio.run(claim()) is None
