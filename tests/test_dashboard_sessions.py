"""handlers.dashboard's pure parts: signed cookies (tampering, expiry, one purpose per
key, single-use states), the query string's choice, and escaping in the SVG charts."""

from __future__ import annotations

import base64
import time
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from starlette.datastructures import QueryParams

from bot.dashboard.figures import Count, WeekBar
from bot.settings import Settings
from handlers.dashboard.charts import count_chart, weekly_chart
from handlers.dashboard.choice import read_choice
from handlers.dashboard.sessions import Person, SessionCookies, Signer, session_key

KEY = session_key(Settings(slack_client_secret=SecretStr("s3cret")))
MARIA = Person("slack", "default", "UMARIA", "Maria")


def test_a_session_reads_back_and_any_change_makes_it_anonymous() -> None:
    cookies = SessionCookies(KEY, secure=True)
    session, value = cookies.new_session(MARIA)
    assert cookies.session(value) == session
    body, mac = value.split(".")
    assert cookies.session(body + "." + mac[:-1] + ("A" if mac[-1] != "A" else "B")) is None
    assert cookies.session(body[:-1] + "x." + mac) is None
    assert (
        SessionCookies(
            session_key(Settings(slack_client_secret=SecretStr("other"))), secure=True
        ).session(value)
        is None
    )


def test_a_mac_changed_only_in_base64s_spare_bits_is_refused() -> None:
    """A 32-byte MAC's last base64 character carries two spare bits: a cookie whose last
    character differs only there decodes to the same MAC, and is refused all the same."""
    cookies = SessionCookies(KEY, secure=True)
    for _ in range(64):
        session, value = cookies.new_session(MARIA)
        body, mac = value.split(".")
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.index(mac[-1])
        twin = alphabet[last ^ 1]  # the same high bits, another spare bit
        assert base64.urlsafe_b64decode(mac + "=") == base64.urlsafe_b64decode(
            mac[:-1] + twin + "="
        )
        assert cookies.session(value) == session
        assert cookies.session(f"{body}.{mac[:-1]}{twin}") is None


def test_a_session_expires_after_eight_hours() -> None:
    cookies = SessionCookies(KEY, secure=False)
    _, value = cookies.new_session(MARIA, now=time.time() - 8 * 3600 - 1)
    assert cookies.session(value) is None


def test_a_sign_in_cookie_is_never_a_session_and_its_state_works_once() -> None:
    cookies = SessionCookies(KEY, secure=False)
    login = cookies.new_login("slack", "state-1", {"n": "nonce"})
    assert cookies.session(login) is None
    assert cookies.take_login(login, "microsoft", "state-1") is None
    assert cookies.take_login(login, "slack", "state-2") is None
    assert cookies.take_login(login, "slack", "state-1")["n"] == "nonce"
    assert cookies.take_login(login, "slack", "state-1") is None  # spent


@given(st.text(max_size=200))
def test_any_cookie_text_is_read_without_error(text: str) -> None:
    assert Signer(KEY, "session").read(text) is None


@given(
    st.dictionaries(
        st.sampled_from(["period", "from", "to", "badge", "team", "x"]), st.text(max_size=80)
    )
)
def test_any_query_gives_a_choice(values: dict[str, str]) -> None:
    choice, _ = read_choice(QueryParams(values))
    assert choice.period in ("week", "month", "quarter", "year", "custom")
    assert choice.badge_id is None or "<" not in choice.badge_id


def test_chart_texts_are_escaped_and_titled() -> None:
    svg = count_chart("By badge", [Count("b1", "<img src=x onerror=1>", 3)], chart_id="c")
    assert "<img" not in svg and "&lt;img" in svg and 'role="img"' in svg and "<title" in svg
    weekly = weekly_chart([WeekBar(date(2026, 11, 2), 1, 2, 3)])
    assert "Week of 2026-11-02: 6 awards, 1 approved, 2 pending, 3 rejected" in weekly
