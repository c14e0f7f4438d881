"""The dashboard over real HTTP on loopback: sign-in through the fake Slack's OpenID
provider and the fake Entra (msal), sessions, who gets in, the figures of rows the test
wrote, the CSV download, and malformed requests."""

from __future__ import annotations

import csv
import html
import io
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.dashboard_harness import (
    SCRIPT_COMMENT,
    DashboardBot,
    custom_range,
    seed,
    week_of,
)
from tests.fake_entra import FakeEntra, serve_entra
from tests.fake_teams import APP_ID, APP_PASSWORD, OTHER_TENANT_ID, TENANT_ID


@pytest.fixture
def dash(emulator, slack, database_url) -> Iterator[DashboardBot]:
    harness = DashboardBot(emulator, slack, database_url).start()
    harness.query(seed)
    yield harness
    harness.stop()


def client(bot: DashboardBot) -> httpx.Client:
    return httpx.Client(base_url=bot.base, follow_redirects=False, timeout=10)


def begin(browser: httpx.Client, slack) -> tuple[str, dict[str, str]]:
    """/dashboard/login/slack → the fake's authorize page → its redirect back."""
    started = browser.get("/dashboard/login/slack")
    assert started.status_code == 302
    authorize = started.headers["location"]
    back = httpx.get(authorize, follow_redirects=False)
    assert back.status_code == 302, back.text
    return back.headers["location"], dict(
        urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query)
    )


def sign_in(bot: DashboardBot, slack, user: str, team: str = "T1") -> httpx.Client:
    slack.sign_in_as(user, team, name=user.title())
    browser = client(bot)
    callback, _ = begin(browser, slack)
    done = browser.get(callback)
    assert done.status_code in (303, 403), done.text
    return browser


def test_anonymous_visitors_are_sent_to_sign_in(dash) -> None:
    with client(dash) as browser:
        answer = browser.get("/dashboard")
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/login"
        page = browser.get("/dashboard/login")
        assert page.status_code == 200 and 'href="/dashboard/login/slack"' in page.text
        assert "login/microsoft" not in page.text  # no Entra app configured
        assert browser.get("/dashboard/export.csv").status_code == 303


def test_an_admin_signs_in_with_slack_and_reads_the_figures(dash, slack) -> None:
    slack.sign_in_as("UMARIA", "T1", name="Maria Garcia")
    with client(dash) as browser:
        callback, asked = begin(browser, slack)
        assert (
            set(re.split(r"[ ,]", asked["scope"])) == {"openid", "email", "profile"}
            and asked["client_id"] == "1111.2222"
        )
        assert asked["nonce"] and asked["state"]
        assert asked["redirect_uri"] == f"{dash.base}/dashboard/auth/slack"
        done = browser.get(callback)
        assert done.status_code == 303 and done.headers["location"] == "/dashboard"
        cookie = next(
            c for c in done.headers.get_list("set-cookie") if c.startswith("badgebot_dashboard=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
        assert "Secure" not in cookie  # PUBLIC_URL is http here
        page = browser.get(f"/dashboard?{custom_range()}")
    assert page.status_code == 200
    text = page.text
    assert re.search(r'id="total">7<', text) and re.search(r'id="queue-count">3<', text)
    week = lambda w: re.search(  # noqa: E731
        rf'<tr data-week="{week_of(w)}">.*?approved">(\d+)<.*?pending">(\d+)<.*?rejected">(\d+)<',
        text,
    ).groups()
    assert week(3) == ("2", "0", "1") and week(2) == ("1", "2", "0") and week(1) == ("0", "1", "0")
    assert re.search(r'data-key="b-teamwork"><td>Teamwork</td><td class="n">4<', text)
    # The rejected Innovation award counts in its week's bar, not among the badges given.
    assert re.search(r'data-key="b-innovation"><td>Innovation</td><td class="n">2<', text)
    top = re.search(
        r'<ol class="top" id="top-people"><li data-key="([^"]+)">'
        r'.*?"who">([^<]+)<.*?"count">(\d+)<',
        text,
    )
    assert top and top.group(2) == "Liam" and top.group(3) == "3"
    assert "<script>" not in text and html.escape(SCRIPT_COMMENT) in text
    token_calls = slack.calls_of("openid.connect.token")
    assert len(token_calls) == 1 and token_calls[0]["client_id"] == "1111.2222"


def test_a_reused_or_wrong_state_starts_no_session(dash, slack) -> None:
    slack.sign_in_as("UMARIA", "T1")
    with client(dash) as browser:
        callback, _ = begin(browser, slack)
        wrong = re.sub(r"state=[^&]+", "state=forged", callback)
        refused = browser.get(wrong)
        assert refused.status_code == 400 and "badgebot_dashboard=" not in str(refused.headers)
        assert slack.calls_of("openid.connect.token") == []  # no code was spent
    with client(dash) as browser:
        callback, _ = begin(browser, slack)
        login_cookie = browser.cookies.get("badgebot_dashboard_login")
        assert browser.get(callback).status_code == 303
        again = httpx.get(callback, cookies={"badgebot_dashboard_login": login_cookie})
        assert again.status_code == 400 and "badgebot_dashboard=" not in str(again.headers)
    # And a callback without any sign-in cookie (another browser's state) starts nothing.
    assert httpx.get(callback).status_code == 400


def test_a_state_used_on_one_web_process_starts_nothing_on_another(
    dash, slack, emulator, database_url
) -> None:
    slack.sign_in_as("UMARIA", "T1")
    other = DashboardBot(emulator, slack, database_url).start()  # a second web process
    try:
        with client(dash) as browser:
            callback, _ = begin(browser, slack)
            login_cookie = browser.cookies.get("badgebot_dashboard_login")
            assert browser.get(callback).status_code == 303  # signed in on the first
        replayed = callback.replace(dash.base, other.base)
        again = httpx.get(replayed, cookies={"badgebot_dashboard_login": login_cookie})
        assert again.status_code == 400 and "badgebot_dashboard=" not in str(again.headers)
        assert len(slack.calls_of("openid.connect.token")) == 1  # the code was not spent again
    finally:
        other.stop()


def test_a_tampered_cookie_is_an_anonymous_visitor(dash, slack) -> None:
    browser = sign_in(dash, slack, "UMARIA")
    value = browser.cookies.get("badgebot_dashboard")
    body, mac = value.split(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    for cookie in (forged, value + "x", "garbage", value.replace(".", "")):
        answer = httpx.get(f"{dash.base}/dashboard", cookies={"badgebot_dashboard": cookie})
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/login"
    assert browser.get("/dashboard").status_code == 200
    browser.close()


def test_someone_who_is_neither_admin_nor_approver_gets_the_403_page(dash, slack) -> None:
    slack.sign_in_as("UAMARA", "T1", name="Amara")
    with client(dash) as browser:
        callback, _ = begin(browser, slack)
        answer = browser.get(callback)
        assert answer.status_code == 403
        assert "not a badge admin or approver" in answer.text and "Amara" in answer.text
        assert "BADGE_APPROVERS" in answer.text and "Teamwork" not in answer.text
        assert "badgebot_dashboard" not in browser.cookies  # no session
        assert browser.get("/dashboard").status_code == 303


def test_a_person_of_another_slack_workspace_sees_none_of_this_ones_data(dash, slack) -> None:
    # UMARIA is an admin's id here; the same id signed in to another workspace is not her.
    slack.sign_in_as("UMARIA", "T2", name="Maria of Globex")
    with client(dash) as browser:
        callback, _ = begin(browser, slack)
        answer = browser.get(callback)
        assert answer.status_code == 403 and "does not serve" in answer.text
        assert "Teamwork" not in answer.text and "badgebot_dashboard" not in browser.cookies


def test_only_admins_download_the_csv_of_the_period(dash, slack) -> None:
    approver = sign_in(dash, slack, "UOLIVER")  # an approver, not an admin
    page = approver.get(f"/dashboard?{custom_range()}")
    assert page.status_code == 200 and 'id="export"' not in page.text
    assert approver.get(f"/dashboard/export.csv?{custom_range()}").status_code == 403
    admin = sign_in(dash, slack, "UMARIA")
    answer = admin.get(f"/dashboard/export.csv?{custom_range()}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 7 and sum(r["badge"] == "Teamwork" for r in rows) == 4
    assert any(r["comment"] == SCRIPT_COMMENT for r in rows)
    approver.close()
    admin.close()


def test_logout_needs_the_pages_token_and_ends_the_session(dash, slack) -> None:
    browser = sign_in(dash, slack, "UMARIA")
    page = browser.get("/dashboard").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert browser.post("/dashboard/logout", data={"csrf": "nope"}).status_code == 403
    other_site = {"origin": "https://evil.example"}
    assert (
        browser.post("/dashboard/logout", data={"csrf": token}, headers=other_site).status_code
        == 403
    )
    assert browser.get("/dashboard").status_code == 200
    out = browser.post("/dashboard/logout", data={"csrf": token}, headers={"origin": dash.base})
    assert out.status_code == 303 and "badgebot_dashboard" not in browser.cookies
    assert browser.get("/dashboard").status_code == 303
    browser.close()


@pytest.mark.parametrize(
    "query",
    [
        "period=decade",
        "period=custom&from=2026-13-45&to=x",
        "period=custom&from=2026-05-01&to=2026-04-01",
        "period=custom",
        "badge=%3Cscript%3E&team=../../etc",
        "period=week&period=year&badge=" + "x" * 3000,
        "%ff%fe=%00&period=%c3%28",
        "from=&to=&badge=&team=",
    ],
)
def test_malformed_query_strings_get_a_page_never_a_500(dash, slack, query) -> None:
    browser = sign_in(dash, slack, "UMARIA")
    for path in (
        "/dashboard",
        "/dashboard/export.csv",
        "/dashboard/auth/slack",
        "/dashboard/login/slack",
    ):
        answer = browser.get(f"{path}?{query}")
        assert answer.status_code < 500, (path, answer.text)
        if answer.headers.get("content-type", "").startswith("text/html"):
            assert "<script>" not in answer.text
    browser.close()


@pytest.fixture
def entra(tmp_path: Path, monkeypatch) -> Iterator[FakeEntra]:
    fake = FakeEntra(APP_ID, APP_PASSWORD)
    with serve_entra(fake, tmp_path) as cert:
        # msal speaks through requests, which trusts this bundle: the fake's certificate.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        fake.cert = cert  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def teams_dash(emulator, slack, database_url, entra) -> Iterator[DashboardBot]:
    harness = DashboardBot(
        emulator,
        slack,
        database_url,
        teams_app_id=APP_ID,
        teams_app_password=APP_PASSWORD,
        teams_tenant_id=TENANT_ID,
        teams_login_url=entra.url,
        teams_service_url=f"{entra.url}/",
        teams_approvers="maria.garcia@acme.example",
        teams_admins="aad-oliver",
    ).start()
    harness.query(seed)
    yield harness
    harness.stop()


def microsoft_sign_in(bot: DashboardBot, entra: FakeEntra) -> tuple[httpx.Client, httpx.Response]:
    browser = client(bot)
    started = browser.get("/dashboard/login/microsoft")
    assert started.status_code == 302, started.text
    authorize = started.headers["location"]
    assert authorize.startswith(f"{entra.url}/{TENANT_ID}/oauth2/v2.0/authorize")
    back = httpx.get(authorize, verify=str(entra.cert))  # type: ignore[attr-defined]
    assert back.status_code == 302, back.text
    return browser, browser.get(back.headers["location"])


def test_an_approver_signs_in_with_microsoft_and_others_do_not(teams_dash, entra) -> None:
    entra.sign_in_as("aad-maria", TENANT_ID, "Maria Garcia", "Maria.Garcia@acme.example")
    browser, done = microsoft_sign_in(teams_dash, entra)
    assert done.status_code == 303, done.text
    page = browser.get(f"/dashboard?{custom_range()}")
    assert page.status_code == 200 and re.search(r'id="total">7<', page.text)
    assert "Maria Garcia" in page.text and 'id="export"' not in page.text  # approver only
    [request] = entra.token_requests
    assert request["grant_type"] == "authorization_code" and request["code_verifier"]
    browser.close()
    entra.sign_in_as("aad-amara", TENANT_ID, "Amara Okafor", "amara.okafor@acme.example")
    browser, done = microsoft_sign_in(teams_dash, entra)
    assert done.status_code == 403 and "badgebot_dashboard" not in browser.cookies
    browser.close()
    entra.sign_in_as("aad-maria-2", OTHER_TENANT_ID, "Maria Garcia", "maria.garcia@acme.example")
    browser, done = microsoft_sign_in(teams_dash, entra)
    assert done.status_code == 403 and "not one this badgebot serves" in done.text
    assert "Teamwork" not in done.text and "badgebot_dashboard" not in browser.cookies
    browser.close()
