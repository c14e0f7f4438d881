"""The dashboard in real headless Chromium: sent to sign-in, signed in through the fake
Slack's OpenID provider, the figures read off the page against the rows the test wrote,
the filter form driven from the keyboard, a phone's width, and the 403 page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from handlers.dashboard.demo import seed_demo_awards
from tests.dashboard_harness import SCRIPT_COMMENT, DashboardBot, seed, week_of
from tests.test_playground_browser import CHROMIUM, DOCS, SCREENSHOTS_TO_DOCS


@pytest.fixture(scope="module")
def browser(migrated_sqlite: Path, emulator_server, slack_server) -> Iterator[Browser]:
    """One Chromium for the module (Debian's; no download); a context per test. What
    runs asyncio.run in this thread (the template database's migration) comes first:
    Playwright's loop would refuse it afterwards."""
    assert os.path.exists(CHROMIUM), "Chromium is missing: run `make test` (it installs it)"
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get(SCREENSHOTS_TO_DOCS):
        return DOCS
    return tmp_path_factory.mktemp("dashboard-screenshots")


def off_the_loop(action, *args):
    """Run a blocking helper that uses asyncio.run (the store's) in another thread:
    Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(action, *args).result(timeout=60)


@pytest.fixture
def dash(emulator, slack, database_url) -> Iterator[DashboardBot]:
    harness = off_the_loop(lambda: DashboardBot(emulator, slack, database_url).start())
    yield harness
    off_the_loop(harness.stop)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def sign_in_with_slack(page: Page, dash: DashboardBot) -> None:
    page.goto(f"{dash.base}/dashboard")
    expect(page).to_have_url(f"{dash.base}/dashboard/login")
    page.get_by_role("link", name="Sign in with Slack").click()


def test_an_admin_signs_in_and_reads_the_figures_of_the_rows(page: Page, dash, slack) -> None:
    off_the_loop(dash.query, seed)
    slack.sign_in_as("UMARIA", "T1", name="Maria Garcia")
    sign_in_with_slack(page, dash)
    expect(page).to_have_url(f"{dash.base}/dashboard")
    expect(page.get_by_text("Signed in as Maria Garcia")).to_be_visible()
    # The custom range, chosen from the keyboard.
    page.locator("#period").focus()
    page.keyboard.press("End")  # the last option: Custom range
    page.locator("#from").fill(week_of(3))
    page.locator("#to").fill(datetime.now(UTC).date().isoformat())
    page.locator("#apply").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("7")
    expect(page.locator("#queue-count")).to_have_text("3")
    expect(page.locator("#queue-waiting")).to_have_text("3")
    page.get_by_text("Table of awards per week").click()
    for weeks_ago, outcome in ((3, (2, 0, 1)), (2, (1, 2, 0)), (1, (0, 1, 0))):
        row = page.locator(f'#weekly-table tr[data-week="{week_of(weeks_ago)}"]')
        for name, count in zip(("approved", "pending", "rejected"), outcome, strict=True):
            expect(row.locator(f"td.{name}")).to_have_text(str(count))
    bars = page.locator('#by-badge g.count[data-key="b-teamwork"] text.value')
    expect(bars).to_have_text("4")
    # The rejected Innovation award counts in its week's bar, not among the badges given.
    expect(page.locator('#by-badge g.count[data-key="b-innovation"] text.value')).to_have_text("2")
    first = page.locator("#top-people li").first
    expect(first.locator(".who")).to_have_text("Liam")
    expect(first.locator(".count")).to_have_text("3")
    expect(page.locator("#comments")).to_contain_text(SCRIPT_COMMENT)  # shown as text
    assert page.locator("#comments script, #comments b").count() == 0
    title = page.locator(f'#weekly g.week[data-week="{week_of(2)}"] > title')
    assert "1 approved, 2 pending, 0 rejected" in (title.text_content() or "")
    # Tab reaches the export link past every summary and link, with a visible ring.
    page.locator("#apply").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "export":
            break
    assert page.evaluate("document.activeElement.id") == "export"
    outline = page.locator("#export").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"


def test_the_demo_awards_fill_the_page_on_a_laptop_and_a_phone(
    browser: Browser, page: Page, dash, slack, screenshots: Path
) -> None:
    made = off_the_loop(dash.query, lambda store: seed_demo_awards(store, weeks=8))
    slack.sign_in_as("UMARIA", "T1", name="Maria Garcia")
    sign_in_with_slack(page, dash)
    page.goto(f"{dash.base}/dashboard?period=quarter")
    expect(page.locator("#weekly")).to_be_visible()
    assert int(page.locator("#total").inner_text()) <= made
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.add_cookies(page.context.cookies())
    small = phone.new_page()
    small.goto(f"{dash.base}/dashboard?period=quarter")
    expect(small.locator("#total")).to_be_visible()
    wide = small.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert wide <= 1, "the page must not scroll sideways on a phone"
    phone.close()


def test_someone_else_gets_the_page_that_says_who_may_see_it(page: Page, dash, slack) -> None:
    slack.sign_in_as("UAMARA", "T1", name="Amara Okafor")
    sign_in_with_slack(page, dash)
    expect(page.get_by_role("heading", name="Not for this account")).to_be_visible()
    expect(page.locator("#reason")).to_contain_text("not a badge admin or approver")
    expect(page.get_by_text("badge admins and approvers of a workspace")).to_be_visible()
    page.goto(f"{dash.base}/dashboard")
    expect(page).to_have_url(f"{dash.base}/dashboard/login")
