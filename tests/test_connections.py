"""bot.connections: a workspace's Quantive connection is checked against Quantive (the
emulator, over HTTP), stored with its token encrypted, and turned back into settings."""

from __future__ import annotations

import socket

import httpx
import pytest
from pydantic import SecretStr

from api.client import DEFAULT_BASE_URL
from api.emulator import DEFAULT_TOKEN, Emulator
from api.emulator.faults import Fault
from bot.connections import (
    REGIONS,
    ConnectionProblem,
    ConnectionRow,
    check_connection,
    connect,
    disconnect,
    list_connections,
    quantive_host,
    quantive_settings_for,
    resolve_quantive_url,
)
from bot.secrets import SecretBox, SecretKeyError, new_key
from bot.settings import load_settings
from tests.conftest import ACCOUNT_ID
from tests.memory_connections import MemoryConnections

TEAM = "slack:T0123ABCD"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(new_key())


@pytest.fixture
def store() -> MemoryConnections:
    return MemoryConnections()  # in memory


# --- regions and URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("eu", "https://app.quantive.com/results/api/v1"),
        (" US ", "https://app.us.quantive.com/results/api/v1"),
        ("gtmhub", "https://app.gtmhub.com/api/v1"),
        (
            "https://quantive.example.com/results/api/v1/",
            "https://quantive.example.com/results/api/v1",
        ),
        ("http://127.0.0.1:8081/api/v1", "http://127.0.0.1:8081/api/v1"),
        ("HTTPS://App.Quantive.com/results/api/v1", "https://app.quantive.com/results/api/v1"),
    ],
)
def test_a_region_or_an_https_url_names_the_api_base(text: str, url: str) -> None:
    assert resolve_quantive_url(text) == url


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("mars", "neither a region"),
        ("app.quantive.com/results/api/v1", "neither a region"),
        ("ftp://app.quantive.com", "neither a region"),
        ("https://app.quantive.com:port/api", "neither a region"),
        ("http://app.quantive.com/results/api/v1", "https://"),
        ("https://user:pw@app.quantive.com/results/api/v1", "without a user"),
        ("https://app.quantive.com/results/api/v1?x=1", "without a user"),
    ],
)
def test_a_malformed_url_is_refused_with_one_sentence(text: str, says: str) -> None:
    with pytest.raises(ConnectionProblem) as caught:
        resolve_quantive_url(text)
    assert says in str(caught.value) and str(caught.value).count(". ") == 0


def test_the_region_table_starts_with_the_default_and_names_each_host_once() -> None:
    assert REGIONS[0].url == DEFAULT_BASE_URL == load_settings().quantive_api_url
    assert len({r.url for r in REGIONS}) == len({r.name for r in REGIONS}) == len(REGIONS)
    assert all(r.url.startswith("https://") and not r.url.endswith("/") for r in REGIONS)
    assert quantive_host(REGIONS[1].url) == "app.us.quantive.com (us)"
    assert quantive_host("https://q.example.com/api/v1") == "q.example.com"


# --- the check, against the emulator over HTTP -----------------------------------------


async def test_the_right_token_and_account_pass_with_one_request(emulator: Emulator) -> None:
    url = emulator.url  # type: ignore[attr-defined]
    assert await check_connection(url, ACCOUNT_ID, DEFAULT_TOKEN) is None
    assert emulator.calls.count("GET /badges") == 1  # one page proves access


async def test_a_wrong_token_or_account_id_says_to_check_both(emulator: Emulator) -> None:
    url = emulator.url  # type: ignore[attr-defined]
    wrong_token = await check_connection(url, ACCOUNT_ID, "not-the-token-1234")
    wrong_account = await check_connection(url, "5be26318e5274a0007f17f00", DEFAULT_TOKEN)
    for problem in (wrong_token, wrong_account):
        assert problem and "token or the account id (401)" in problem
        assert "not-the-token" not in problem and "1234" not in problem


async def test_a_refusal_or_a_missing_plan_says_which(emulator: Emulator) -> None:
    url = emulator.url  # type: ignore[attr-defined]
    emulator.faults.set("GET /badges", Fault(status=403, times=1))
    forbidden = await check_connection(url, ACCOUNT_ID, DEFAULT_TOKEN)
    assert forbidden and "(403)" in forbidden and "account id" in forbidden
    emulator.faults.set("GET /badges", Fault(status=402, times=1))
    no_plan = await check_connection(url, ACCOUNT_ID, DEFAULT_TOKEN)
    assert no_plan and "(402)" in no_plan and "plan" in no_plan


async def test_a_wrong_path_is_a_wrong_region_or_url(emulator: Emulator) -> None:
    url = emulator.root_url + "/quantive/api/v1"  # type: ignore[attr-defined]
    problem = await check_connection(url, ACCOUNT_ID, DEFAULT_TOKEN)
    assert problem and "(404)" in problem and "region" in problem


async def test_an_unreachable_host_is_named() -> None:
    port = closed_port()
    problem = await check_connection(f"http://127.0.0.1:{port}/api/v1", ACCOUNT_ID, "t0ken-abcd")
    assert problem == (
        f"Cannot reach 127.0.0.1:{port}: check the region or URL, and that this machine can "
        "reach it."
    )


async def test_a_late_answer_and_a_foreign_answer_are_told_apart() -> None:
    def late(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("late", request=request)

    def web_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>welcome</html>")

    slow = await check_connection(
        "eu", ACCOUNT_ID, "t0ken-abcd", http_timeout=2, transport=httpx.MockTransport(late)
    )
    assert slow == "app.quantive.com did not answer within 2 s: check the URL and network."
    other = await check_connection(
        "https://www.example.com", ACCOUNT_ID, "t0ken-abcd", transport=httpx.MockTransport(web_page)
    )
    assert other and other.startswith("www.example.com answered, but not as Quantive's")


async def test_the_request_carries_the_token_and_account_and_asks_for_one_badge() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "totalCount": 0})

    transport = httpx.MockTransport(answer)
    assert await check_connection("us", " acc-1 ", " tok-5678\n", transport=transport) is None
    (request,) = seen
    assert str(request.url) == "https://app.us.quantive.com/results/api/v1/badges?skip=0&take=1"
    assert request.headers["Authorization"] == "Bearer tok-5678"
    assert request.headers["gtmhub-accountId"] == "acc-1"


@pytest.mark.parametrize(
    ("account", "token", "says"),
    [
        ("", "tok-5678", "account id is empty"),
        ("acc\r\nX-Evil: 1", "tok-5678", "only letters, digits"),
        ("acc-1", "  ", "API token is empty"),
        ("acc-1", "tok 5678", "paste it again"),
    ],
)
async def test_empty_or_broken_fields_are_refused_before_any_request(
    account: str, token: str, says: str
) -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    problem = await check_connection("eu", account, token, transport=httpx.MockTransport(never))
    assert problem and says in problem and "5678" not in problem


# --- connect, disconnect, list, settings -----------------------------------------------


async def test_connect_stores_the_token_encrypted_with_its_last_four(
    emulator: Emulator, store: MemoryConnections, box: SecretBox
) -> None:
    url = emulator.url + "/"  # type: ignore[attr-defined]
    row = await connect(store, box, TEAM, url, ACCOUNT_ID, DEFAULT_TOKEN, "cli:ops")
    assert await store.for_workspace(TEAM).connection() == row
    assert row.quantive_url == url.rstrip("/") and row.account_id == ACCOUNT_ID
    assert DEFAULT_TOKEN not in row.token_encrypted and row.token_last4 == DEFAULT_TOKEN[-4:]
    assert box.decrypt(row.token_encrypted) == DEFAULT_TOKEN
    assert row.connected_by == "cli:ops" and row.checked_at == row.updated_at > 0
    assert await store.connected_workspaces() == [TEAM]


async def test_a_failed_check_stores_nothing(
    emulator: Emulator, store: MemoryConnections, box: SecretBox
) -> None:
    url = emulator.url  # type: ignore[attr-defined]
    with pytest.raises(ConnectionProblem, match=r"\(401\)"):
        await connect(store, box, TEAM, url, ACCOUNT_ID, "wrong-token-9999", "cli:ops")
    assert await store.all_connections() == []


async def test_disconnect_and_list(store: MemoryConnections, box: SecretBox) -> None:
    for key in ("teams:0f8fad5b-d9cb-469f-a165-70867728950e", TEAM):
        await store.for_workspace(key).save_connection(stored_row(key, box))
    assert [r.workspace for r in await list_connections(store)] == [
        TEAM,
        "teams:0f8fad5b-d9cb-469f-a165-70867728950e",
    ]
    assert await disconnect(store, TEAM) is True
    assert await disconnect(store, TEAM) is False
    assert await store.connected_workspaces() == ["teams:0f8fad5b-d9cb-469f-a165-70867728950e"]


def test_settings_for_a_connection_build_that_workspaces_client(box: SecretBox) -> None:
    overrides = quantive_settings_for(stored_row(TEAM, box), box)
    assert overrides["quantive_api_token"] == SecretStr("qt-secret-abcd")
    settings = load_settings(**overrides)
    assert settings.quantive_api_url == "https://app.us.quantive.com/results/api/v1"
    assert settings.quantive_account_id == ACCOUNT_ID
    assert settings.quantive_api_token.get_secret_value() == "qt-secret-abcd"  # type: ignore[union-attr]
    assert "qt-secret" not in repr(overrides)


def test_a_changed_key_says_so_and_names_the_workspace(box: SecretBox) -> None:
    row = stored_row(TEAM, box)
    with pytest.raises(SecretKeyError) as caught:
        quantive_settings_for(row, SecretBox(new_key()))
    text = str(caught.value)
    assert "Slack workspace T0123ABCD" in text and "key was changed" in text
    assert "qt-secret" not in text


def stored_row(key: str, box: SecretBox) -> ConnectionRow:
    """A connection as ``connect`` stores it, with the token ``qt-secret-abcd``."""
    return ConnectionRow(
        workspace=key,
        quantive_url="https://app.us.quantive.com/results/api/v1",
        account_id=ACCOUNT_ID,
        token_encrypted=box.encrypt("qt-secret-abcd"),
        token_last4="abcd",
        connected_by="cli:ops",
        checked_at=1_800_000_000.0,
        updated_at=1_800_000_000.0,
    )
