"""Helpers of the playground's browser tests (tests.test_playground_browser) kept apart to
keep that module under 400 lines: the guard that keeps a page on loopback, and the tab
the page's "Dashboard" link opens."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

from playwright.sync_api import BrowserContext, Page, Route

#: The bounded wait of a tab a test opens, in ms, as the page fixture's.
TAB_TIMEOUT_MS = 10_000


def keep_on_loopback(context: BrowserContext) -> list[str]:
    """Abort every request of ``context`` that leaves loopback; the list fills with their
    URLs, for the test to find empty at its end."""
    off_loopback: list[str] = []

    def loopback_only(route: Route) -> None:
        if urllib.parse.urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            off_loopback.append(route.request.url)
            route.abort()

    context.route("**/*", loopback_only)
    return off_loopback


def open_dashboard(page: Page) -> Page:
    """Click the page's "Dashboard" and return the tab it opens, once it has loaded."""
    with page.context.expect_page() as opened:
        page.click("#dashboard")
    tab = opened.value
    tab.set_default_timeout(TAB_TIMEOUT_MS)
    tab.wait_for_load_state()
    return tab


def last_weeks_query(weeks: int = 8) -> str:
    """The dashboard's query for the last ``weeks`` weeks up to today: the default period
    (this month) may have only just begun."""
    today = datetime.now(UTC).date()
    return urllib.parse.urlencode(
        {"period": "custom", "from": str(today - timedelta(weeks=weeks)), "to": str(today)}
    )
