"""Teams' /api/messages on the running app: the real Bot Framework JWT check (tokens
signed with the fake's own key, served as its JWKS), the outbound token, the connector."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fake_teams import APP_PASSWORD
from tests.harness import BotHarness
from tests.teams_client import card_of, post_activity, texts
from tests.waiting import wait_until


def test_a_signed_message_is_answered_through_the_connector(teams_bot, teams) -> None:
    answer = post_activity(teams_bot, teams.message("hello"), teams.sign())
    assert answer.status_code == 200
    wait_until(lambda: len(teams.calls_to("a:amara")) == 1)
    [sent] = teams.calls_to("a:amara")
    assert sent["method"] == "POST" and "badgebot" in texts(card_of(sent["body"]))
    assert sent["authorization"].startswith("Bearer ey")  # the token from the token endpoint
    [grant] = teams.token_requests
    assert grant["grant_type"] == "client_credentials"
    assert grant["scope"] == "https://api.botframework.com/.default"


@pytest.mark.parametrize(
    "forgery",
    ["no token", "other key", "wrong audience", "wrong issuer", "wrong serviceurl", "expired"],
)
def test_a_forged_token_gets_401_and_nothing_happens(teams_bot, teams, forgery) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = {
        "no token": None,
        "other key": teams.sign(key=stranger),
        "wrong audience": teams.sign(audience="00000000-0000-0000-0000-000000000000"),
        "wrong issuer": teams.sign(issuer="https://evil.example"),
        "wrong serviceurl": teams.sign(service_url="https://evil.example/"),
        "expired": teams.sign(expires_in=-3600),
    }[forgery]
    answer = post_activity(teams_bot, teams.message("give @maria Visionary"), token)
    assert answer.status_code == 401
    assert teams.calls == [] and teams.token_requests == []
    assert teams_bot.emulator.calls.all() == [] or all(
        c.route == "GET /badges"
        for c in teams_bot.emulator.calls.all()  # the start-up warm-up
    )


def test_malformed_and_oversized_bodies_never_get_500(teams_bot, teams) -> None:
    url = f"{teams_bot.server.url}/api/messages"
    auth = {"Authorization": f"Bearer {teams.sign()}"}
    assert teams_bot.http.post(url, content=b"{not json", headers=auth).status_code == 400
    assert teams_bot.http.post(url, content=b"[1, 2]", headers=auth).status_code == 400
    big = json.dumps({"type": "message", "text": "x" * 1_100_000}).encode()
    assert teams_bot.http.post(url, content=big, headers=auth).status_code == 413
    odd = {"type": "message", "serviceUrl": f"{teams.url}/"}  # no conversation, no sender
    assert teams_bot.http.post(url, json=odd, headers=auth).status_code < 500
    assert teams.calls == []


def test_secrets_stay_out_of_the_logs(teams_bot, teams, caplog) -> None:
    post_activity(teams_bot, teams.message("hello"), teams.sign())
    wait_until(lambda: len(teams.calls) == 1)
    assert APP_PASSWORD not in caplog.text


def test_every_activity_keeps_its_conversation_reference(teams_bot, teams) -> None:
    post_activity(
        teams_bot, teams.message("hello", user="29:liam", conversation="a:liam"), teams.sign()
    )
    wait_until(lambda: len(teams.calls_to("a:liam")) == 1)
    ref = teams_bot.query(lambda store: store.personal_conversation("29:liam"))
    assert ref is not None and ref.conversation_id == "a:liam"
    assert ref.service_url == f"{teams.url}/" and ref.tenant_id and ref.kind == "personal"
    assert (
        teams_bot.query(lambda store: store.personal_conversation("29:liam", platform="slack"))
        is None
    )
    # A forged activity leaves no reference behind.
    post_activity(teams_bot, teams.message("hi", user="29:mallory", conversation="a:m"), None)
    assert teams_bot.query(lambda store: store.personal_conversation("29:mallory")) is None


def test_serve_runs_teams_alone_when_slack_is_not_configured(
    emulator, slack, teams, database_url, caplog
) -> None:
    caplog.set_level("INFO")
    harness = BotHarness(
        emulator,
        slack,
        database_url,
        **teams.settings(),
        slack_bot_token=None,
        slack_signing_secret=None,
    ).start()
    try:
        assert "serving Teams at POST /api/messages" in caplog.text
        assert "Slack at" not in caplog.text
        assert harness.http.post(harness.url, content=b"x").status_code == 404
        answer = post_activity(harness, teams.message("help"), teams.sign())
        assert answer.status_code == 200
        harness.wait_idle()
        assert len(teams.calls_to("a:amara")) == 1
    finally:
        harness.stop()


@pytest.mark.parametrize(
    "name,value",
    [
        ("adaptiveCard/action", {"action": {"type": "Action.Execute", "verb": "approve"}}),
        (
            "adaptiveCard/action",
            {
                "action": {
                    "type": "Action.Execute",
                    "verb": "approve",
                    "data": {"assignment_id": "../x"},
                }
            },
        ),
        (
            "adaptiveCard/action",
            {"action": {"type": "Action.Execute", "verb": "no-such-verb", "data": {}}},
        ),
        (
            "adaptiveCard/action",
            {"action": {"type": "Action.Execute", "verb": "revoke", "data": {}}},
        ),
        (
            "composeExtension/submitAction",
            {"commandId": "giveBadge", "commandContext": "compose", "data": {"people": 7}},
        ),
        ("composeExtension/query", {"commandId": "x", "parameters": []}),
        ("task/fetch", {"data": {}}),
    ],
)
def test_odd_invokes_are_answered_and_change_nothing(teams_bot, teams, name, value) -> None:
    activity = teams.invoke(name, value, user="29:maria", conversation="a:maria")
    answer = post_activity(teams_bot, activity, teams.sign())
    assert answer.status_code < 500, answer.text
    teams_bot.wait_idle()
    assert teams_bot.emulator.calls.count("POST /badges/approve/{id}") == 0
    assert teams_bot.emulator.calls.count("POST /badges/assign") == 0
