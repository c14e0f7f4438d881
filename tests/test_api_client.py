"""Contract tests: the client against the emulator over real HTTP on loopback."""

from __future__ import annotations

import logging

import httpx
import pytest

from api import QuantiveClient, RetryPolicy, build_http_client, errors
from api.emulator import Emulator, Fault
from api.models import AssignRequest, BadgeInput
from tests.conftest import ACCOUNT_ID, quantive_client

MARIA = "64a000000000000000000001"  # a manager
AMARA = "64a000000000000000000003"
LIAM = "64a000000000000000000004"  # stored as Liam.Chen@acme.example
PLATFORM_TEAM = "64b000000000000000000001"
TEAM_PLAYER = "64c000000000000000000001"


async def test_list_and_get_badges(quantive: QuantiveClient) -> None:
    badges = await quantive.list_badges()
    assert len(badges) == 10
    assert {b.name for b in badges} >= {"Team Player", "Visionary"}
    one = await quantive.get_badge(TEAM_PLAYER)
    assert one.name == "Team Player" and one.icon == "handshake"


async def test_create_update_delete_badge(quantive: QuantiveClient) -> None:
    created = await quantive.create_badge(BadgeInput(name="Night Owl", summary="Late fixes"))
    assert created.id and created.name == "Night Owl"
    await quantive.update_badge(created.id, BadgeInput(name="Night Owl", summary="Changed"))
    assert (await quantive.get_badge(created.id)).summary == "Changed"
    await quantive.delete_badge(created.id)
    with pytest.raises(errors.NotFound):
        await quantive.get_badge(created.id)


async def test_duplicate_badge_name_is_bad_request_with_server_message(
    quantive: QuantiveClient,
) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        await quantive.create_badge(BadgeInput(name="visionary"))
    assert "already exists" in (caught.value.server_message or "")


async def test_award_by_non_manager_is_pending_then_approved(quantive: QuantiveClient) -> None:
    award = await quantive.assign_badge(
        AssignRequest(
            badge_id=TEAM_PLAYER, assignee_ids=[LIAM], assigned_by_id=AMARA, comment="great pairing"
        )
    )
    assert award.state == "pending"
    assert award.id in {a.id for a in await quantive.list_pending_approvals()}
    holders = await quantive.badge_holders(TEAM_PLAYER)
    assert LIAM not in {u.id for u in holders.users}

    await quantive.approve(award.id)
    assert award.id not in {a.id for a in await quantive.list_pending_approvals()}
    holders = await quantive.badge_holders(TEAM_PLAYER)
    assert LIAM in {u.id for u in holders.users}
    with pytest.raises(errors.BadRequest):
        await quantive.approve(award.id)  # already decided


async def test_reject_and_unknown_assignment(quantive: QuantiveClient) -> None:
    award = await quantive.assign_badge(
        AssignRequest(badge_id=TEAM_PLAYER, assignee_ids=[LIAM], assigned_by_id=AMARA)
    )
    await quantive.reject(award.id)
    assert award.id not in {a.id for a in await quantive.list_pending_approvals()}
    with pytest.raises(errors.BadRequest):
        await quantive.reject(award.id)
    with pytest.raises(errors.NotFound):
        await quantive.approve("ffffffffffffffffffffffff")


async def test_award_by_manager_to_team_is_approved_and_held(quantive: QuantiveClient) -> None:
    award = await quantive.assign_badge(
        AssignRequest(
            badge_id=TEAM_PLAYER, assignee_ids=[PLATFORM_TEAM, MARIA], assigned_by_id=MARIA
        )
    )
    assert award.state == "approved"
    holders = await quantive.badge_holders(TEAM_PLAYER)
    assert PLATFORM_TEAM in {t.id for t in holders.teams}
    assert MARIA in {u.id for u in holders.users}
    mine = await quantive.my_assignments()
    current = await quantive.current_badges()
    assert award.id in {a.id for a in mine} and award.id in {a.id for a in current}
    assert next(a for a in current if a.id == award.id).badge_id == TEAM_PLAYER

    await quantive.unassign(MARIA, award.id)
    holders = await quantive.badge_holders(TEAM_PLAYER)
    assert MARIA not in {u.id for u in holders.users}
    with pytest.raises(errors.NotFound):
        await quantive.unassign(MARIA, award.id)


async def test_find_users_by_email_is_case_insensitive(
    quantive: QuantiveClient, emulator: Emulator
) -> None:
    users = await quantive.find_users_by_email(
        ["MARIA.GARCIA@acme.example", "liam.chen@acme.example"]
    )
    assert {u.id for u in users} == {MARIA, LIAM}
    # Maria matched the lower-cased $in at once; Liam, stored in mixed case, needed the regex.
    assert emulator.calls.count("GET /users") == 2
    assert await quantive.find_users_by_email(["nobody@acme.example"]) == []


async def test_get_users_and_teams(quantive: QuantiveClient) -> None:
    users = await quantive.get_users([MARIA, AMARA])
    assert {u.display_name for u in users} == {"Maria Garcia", "Amara Okafor"}
    teams = await quantive.find_teams_by_name("platform")
    assert [t.id for t in teams] == [PLATFORM_TEAM]
    assert LIAM in teams[0].members
    assert [t.name for t in await quantive.get_teams([PLATFORM_TEAM])] == ["Platform"]
    assert await quantive.find_teams_by_name("plat") == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, errors.BadRequest),
        (401, errors.AuthenticationError),
        (402, errors.PlanError),
        (403, errors.PermissionDenied),
        (404, errors.NotFound),
        (429, errors.RateLimited),
        (503, errors.ServerError),
    ],
)
async def test_status_codes_map_to_error_types(
    emulator: Emulator, status: int, error: type[errors.QuantiveError]
) -> None:
    emulator.faults.set("GET /badges", Fault(status=status, retry_after=30))
    client = quantive_client(emulator)
    with pytest.raises(error) as caught:
        await client.list_badges()
    await client.aclose()
    assert caught.value.status == status
    assert str(caught.value)  # a message for a person


async def test_rate_limited_carries_retry_after(emulator: Emulator) -> None:
    emulator.faults.set("GET /badges", Fault(status=429, retry_after=42))
    client = quantive_client(emulator)
    with pytest.raises(errors.RateLimited) as caught:
        await client.list_badges()
    await client.aclose()
    assert caught.value.retry_after == 42
    assert emulator.calls.count("GET /badges") == 1  # 42 s is more than the policy waits


async def test_get_hit_by_503_then_200_succeeds(emulator: Emulator) -> None:
    emulator.faults.set("GET /badges", Fault(status=503, times=1))
    client = quantive_client(emulator)
    assert len(await client.list_badges()) == 10
    await client.aclose()
    assert emulator.calls.count("GET /badges") == 2


async def test_get_honours_short_retry_after(emulator: Emulator) -> None:
    emulator.faults.set("GET /badges", Fault(status=429, times=1, retry_after=0.2))
    client = quantive_client(emulator)
    assert len(await client.list_badges()) == 10
    await client.aclose()
    first, second = emulator.calls.all()[-2:]
    assert second.at - first.at >= 0.2


async def test_assign_hit_by_503_is_not_retried(emulator: Emulator) -> None:
    emulator.faults.set("POST /badges/assign", Fault(status=503, times=1))
    client = quantive_client(emulator)
    with pytest.raises(errors.OutcomeUnknown):
        await client.assign_badge(AssignRequest(badge_id=TEAM_PLAYER, assignee_ids=[LIAM]))
    await client.aclose()
    assert emulator.calls.count("POST /badges/assign") == 1


async def test_assign_that_times_out_after_storing_is_outcome_unknown(emulator: Emulator) -> None:
    # Answered well after the client gave up, and soon enough that the next test's reset
    # (which waits for requests still being answered) is not held up.
    emulator.faults.set("POST /badges/assign", Fault(latency_after=0.6))
    client = quantive_client(emulator, timeout=0.3)
    with pytest.raises(errors.OutcomeUnknown):
        await client.assign_badge(
            AssignRequest(badge_id=TEAM_PLAYER, assignee_ids=[LIAM], assigned_by_id=AMARA)
        )
    await client.aclose()
    assert emulator.calls.count("POST /badges/assign") == 1
    assert len(emulator.state.pending()) == 4  # three seeded plus the one that was stored


async def test_slow_get_hits_the_timeout(emulator: Emulator) -> None:
    emulator.faults.set("GET /badges", Fault(latency=0.6))  # three times the timeout
    client = quantive_client(
        emulator, timeout=0.2, retry=RetryPolicy(max_retries=1, backoff_base=0.01)
    )
    with pytest.raises(errors.Unreachable, match="in time"):
        await client.list_badges()
    await client.aclose()
    assert emulator.calls.count("GET /badges") <= 2


async def test_unreachable_server() -> None:
    http = build_http_client("http://127.0.0.1:9/api/v1", "t", ACCOUNT_ID, timeout=0.5)
    client = QuantiveClient(http, retry=RetryPolicy(max_retries=1, backoff_base=0.01))
    with pytest.raises(errors.Unreachable):
        await client.list_badges()
    await client.aclose()


async def test_every_client_shares_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    # One per workspace would load the CA bundle once each: 30 ms of the event loop.
    import ssl

    from api import transport

    made: list[ssl.SSLContext] = []
    real = httpx.create_ssl_context

    def counted() -> ssl.SSLContext:
        made.append(real())
        return made[-1]

    transport.shared_tls_context.cache_clear()
    monkeypatch.setattr(transport.httpx, "create_ssl_context", counted)
    try:
        clients = [build_http_client(f"https://q{n}.example/api/v1", "t", "a") for n in range(3)]
        for client in clients:
            await client.aclose()
        assert len(made) == 1
        assert made[0].verify_mode == ssl.CERT_REQUIRED and made[0].check_hostname
    finally:
        transport.shared_tls_context.cache_clear()


async def test_wrong_token_is_401_and_token_never_leaks(emulator: Emulator, caplog) -> None:
    secret = "xx-super-secret-token-value"
    http = build_http_client(emulator.url, secret, ACCOUNT_ID)  # type: ignore[attr-defined]
    client = QuantiveClient(http)
    with caplog.at_level(logging.DEBUG), pytest.raises(errors.AuthenticationError) as caught:
        await client.list_badges()
    await client.aclose()
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert secret not in repr(client)
    assert secret not in caplog.text


async def test_error_body_is_not_shown_raw() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="<html>stack trace at line 3</html>")

    http = build_http_client(
        "http://q.test/api/v1", "t", "a", transport=httpx.MockTransport(handler)
    )
    client = QuantiveClient(http)
    with pytest.raises(errors.BadRequest) as caught:
        await client.list_badges()
    assert "stack trace" not in str(caught.value)


async def test_bare_list_envelope_is_accepted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": "u1", "email": "a@b.c"}])

    http = build_http_client(
        "http://q.test/api/v1", "t", "a", transport=httpx.MockTransport(handler)
    )
    users = await QuantiveClient(http).get_users(["u1"])
    assert [u.id for u in users] == ["u1"]


async def test_headers_sent(emulator: Emulator) -> None:
    seen: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(200, json={"items": []})

    http = build_http_client(
        "http://q.test/api/v1", "tok", "acc", transport=httpx.MockTransport(handler)
    )
    await QuantiveClient(http).list_badges()
    assert seen["authorization"] == "Bearer tok" and seen["gtmhub-accountid"] == "acc"


def _scripted(*answers: object) -> tuple[QuantiveClient, list[str]]:
    """A client whose requests get ``answers`` in turn: a status code or an exception class."""
    seen: list[str] = []
    script = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        answer = script.pop(0)
        if isinstance(answer, type):
            raise answer("scripted", request=request)
        headers = {"Retry-After": "0"} if answer == 429 else {}
        return httpx.Response(answer, json={"id": "a1"}, headers=headers)

    http = build_http_client(
        "http://q.test/api/v1", "t", "a", transport=httpx.MockTransport(handler)
    )
    policy = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.02)
    return QuantiveClient(http, retry=policy), seen


async def test_post_is_repeated_when_it_certainly_did_not_arrive() -> None:
    # Not connected, then refused with a 429: neither reached Quantive's handler.
    client, seen = _scripted(httpx.ConnectError, 429, 200)
    await client.approve("64d000000000000000000001")
    assert len(seen) == 3


@pytest.mark.parametrize("first", [httpx.ReadError, httpx.ReadTimeout, 502, 503, 504])
async def test_post_that_may_have_arrived_is_never_repeated(first: object) -> None:
    client, seen = _scripted(first, 200)
    with pytest.raises(errors.OutcomeUnknown):
        await client.approve("64d000000000000000000001")
    assert len(seen) == 1


@pytest.mark.parametrize("first", [httpx.ReadError, httpx.ConnectError, 502, 503, 504, 429])
async def test_safe_request_is_repeated_after_a_passing_failure(first: object) -> None:
    client, seen = _scripted(first, first, 200)
    await client.reject("64d000000000000000000001")
    assert seen == ["DELETE /api/v1/badges/approve/64d000000000000000000001"] * 3


async def test_retries_stop_after_the_policy_s_count() -> None:
    client, seen = _scripted(503, 503, 503, 200)
    with pytest.raises(errors.ServerError):
        await client.reject("64d000000000000000000001")
    assert len(seen) == 3  # one try and max_retries=2 repeats
