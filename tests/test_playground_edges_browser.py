"""A new user's rough edges in the playground, in real headless Chromium: each was met by
someone trying the playground for the first time (issue 21)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.store import migrate
from playground.run import PlaygroundStack
from tests import test_playground_browser as shared
from tests.early import EARLY

# The main browser module's fixtures (one Chromium per module, a fresh context per test).
# This module has a playground of its own: what it checks starts from a quiet workspace,
# whatever the other module's tests posted.
browser = shared.browser
page = shared.page
start_playground, stop_playground = shared.start_playground, shared.stop_playground
EARLY_NAME = "playground-edges"


def begin_early() -> None:
    """Start this module's playground while the tests before it run (see conftest)."""
    since = time.monotonic()
    data_dir = tempfile.mkdtemp(prefix="badgebot-playground-")
    asyncio.run(migrate(f"sqlite:///{Path(data_dir) / 'playground.db'}"))
    EARLY.begin(EARLY_NAME, lambda: start_playground(data_dir, since), stop_playground)


@pytest.fixture(scope="module")
def stack() -> Iterator[PlaygroundStack]:
    """This module's playground (begun early, see ``begin_early``)."""
    started = EARLY.take(EARLY_NAME, start_playground)
    try:
        yield started[0]
    finally:
        stop_playground(started)


def test_switching_to_a_person_with_an_empty_chat_clears_the_last_ones(
    page: Page, stack: PlaygroundStack
) -> None:
    page.goto(stack.url + "?user=UAMARA&channel=DUAMARA")
    page.fill("#text", "/badge help")
    page.press("#text", "Enter")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Only visible to you")
    page.select_option("#person", "UJONAS")  # nobody has written to Jonas yet
    expect(page.locator('[data-conv="DUJONAS"]')).to_have_class("item active ")
    expect(messages).to_be_empty()
    page.select_option("#person", "UAMARA")  # and back: her messages are drawn again
    expect(messages).to_contain_text("Only visible to you")


def test_the_badge_list_shows_a_command_to_copy_and_the_form_says_optional_once(
    page: Page, stack: PlaygroundStack
) -> None:
    page.goto(stack.url + "?user=USOFIA&channel=DUSOFIA")
    page.fill("#text", "/badge list")
    page.press("#text", "Enter")
    header = page.locator("#messages .msg").last.locator("code").first
    expect(header).to_have_text("/badge give @someone Above and Beyond thanks for …")
    expect(page.locator("#messages")).not_to_contain_text("`")
    expect(page.locator("#messages")).not_to_contain_text("<badge>")

    page.fill("#text", "/badge")
    page.press("#text", "Enter")
    expect(page.locator("#overlay")).to_be_visible()
    label = page.locator("#modal-body label.b-input", has_text="Why?").locator("> span")
    expect(label).to_have_text("Why? (optional)")


def test_the_page_loads_with_no_failed_request(page: Page, stack: PlaygroundStack) -> None:
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in ("?user=UAMARA&channel=CGENERAL", "teams?user=29:amara"):
        page.goto(stack.url + path)
        expect(page.locator("#person")).not_to_have_value("")
    # Headless Chromium may not ask for the icon by itself; a browser tab does.
    icon = httpx.get(stack.url + "favicon.ico", timeout=5)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")
    assert failed == [] and errors == []
