"""The playground in real headless Chromium: the whole story clicked through as a person."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from playground.run import PlaygroundStack
from tests.early import EARLY
from tests.playground_dashboard import keep_on_loopback, last_weeks_query, open_dashboard
from tests.playground_early import begin_early, start_playground, stop_playground
from tests.scheduling import distributed

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parent.parent / "docs"
#: Set (to anything) to refresh the README's screenshots in docs/; else they go to a
#: temporary folder, so that a test run leaves the checkout as it was.
SCREENSHOTS_TO_DOCS = "BADGEBOT_SCREENSHOTS_TO_DOCS"


@pytest.fixture(scope="module")
def begun(request: pytest.FixtureRequest) -> None:
    """The playground begun in a thread of its own: early by conftest on one process, or
    here on xdist's workers (where conftest begins nothing), so that it starts while
    Chromium does."""
    if distributed(request.config):
        begin_early()


@pytest.fixture(scope="module")
def stack(begun: None) -> Iterator[PlaygroundStack]:
    """The playground for the module (begun early, see ``begin_early``)."""
    started = EARLY.take("playground", start_playground)
    try:
        assert started[1] < 10, "the playground must be usable within 10 s"
        yield started[0]
    finally:
        stop_playground(started)


@pytest.fixture(scope="module")
def browser(begun: None) -> Iterator[Browser]:
    """One Chromium for the module; each test gets a context of its own. The playground
    is begun first: its start runs asyncio.run, which Playwright's running loop would
    refuse in this thread, so it starts in its own thread meanwhile."""
    # No skip: `make test` installs Chromium; a missing browser is a failure to see.
    assert os.path.exists(CHROMIUM), "Chromium is missing: run `make test` (it installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests' screenshots go: docs/ when SCREENSHOTS_TO_DOCS is set."""
    if os.environ.get(SCREENSHOTS_TO_DOCS):
        DOCS.mkdir(exist_ok=True)
        return DOCS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser: Browser, stack: PlaygroundStack) -> Iterator[Page]:
    """A page in a fresh browser context: no cookies, storage or cache from other tests."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


#: How often the page polls the playground, in ms: quicker than a person's 700 ms, so that
#: what the bot does after its ack shows without waiting out a person's poll.
POLL_MS = 100


def visit(page: Page, stack: PlaygroundStack, path_and_query: str) -> None:
    """Open the playground's ``path_and_query`` (which has a query), polling every POLL_MS."""
    page.goto(f"{stack.url}{path_and_query}&poll={POLL_MS}")


def switch_to(page: Page, person: str, conversation: str) -> None:
    page.select_option("#person", person)
    page.click(f'[data-conv="{conversation}"]')


def test_give_approve_and_see_the_dm(page: Page, stack: PlaygroundStack, screenshots: Path) -> None:
    visit(page, stack, "?user=UAMARA&channel=CGENERAL")
    expect(page.locator("#person")).to_have_value("UAMARA")
    page.fill("#text", "/badge give @liam Team Player thanks for pairing <script>x</script>")
    page.press("#text", "Enter")
    expect(page.locator("#messages")).to_contain_text("Sent for approval")
    expect(page.locator("#messages")).to_contain_text("Only visible to you")

    switch_to(page, "UMARIA", "CAPPROVALS")
    request = page.locator(".msg", has_text="thanks for pairing").last
    expect(request).to_contain_text("<script>x</script>")  # shown as text, not run
    request.get_by_role("button", name="Approve").click()
    expect(request).to_contain_text("Approved by @maria")
    expect(request.get_by_role("button", name="Approve")).to_have_count(0)

    switch_to(page, "ULIAM", "DULIAM")
    expect(page.locator("#messages")).to_contain_text("You received")
    expect(page.locator("#messages")).to_contain_text("Team Player")
    expect(page.locator("#calls")).to_contain_text("POST /badges/approve/{id}")
    switch_to(page, "UMARIA", "CAPPROVALS")
    expect(page.locator("#messages")).to_contain_text("Approved by @maria")
    page.screenshot(path=str(screenshots / "playground.png"))


def test_give_through_the_modal_then_digest_and_home(page: Page, stack: PlaygroundStack) -> None:
    visit(page, stack, "?user=USOFIA&channel=CGENERAL")
    page.fill("#text", "/badge")
    page.press("#text", "Enter")
    expect(page.locator("#overlay")).to_be_visible()
    expect(page.locator("#modal-title")).to_have_text("Give a badge")
    page.click("#modal-submit")  # empty: the bot's field errors show on the modal
    expect(page.locator("#modal-body .error").first).to_be_visible()
    page.select_option('#modal-body [data-kind="multi_users_select"]', ["UKENJI"])
    badge = page.locator('#modal-body [data-kind="external_select"]')
    badge.focus()
    expect(badge.locator("option", has_text="Visionary")).to_have_count(1)
    badge.select_option(label="Visionary")
    page.fill('#modal-body [data-kind="plain_text_input"]', "for the roadmap")
    page.click("#modal-submit")
    expect(page.locator("#overlay")).to_be_hidden()
    expect(page.locator("#messages")).to_contain_text("Sent for approval")

    switch_to(page, "UOLIVER", "CAPPROVALS")
    page.click("#digest")
    expect(page.locator("#messages")).to_contain_text("waiting for approval")
    page.click('[data-conv="HOME"]')
    expect(page.locator("#messages")).to_contain_text("Your badges")
    expect(page.locator("#messages").get_by_role("button", name="Give a badge")).to_be_visible()


def test_message_shortcut_opens_the_give_form(page: Page, stack: PlaygroundStack) -> None:
    visit(page, stack, "?user=UKENJI&channel=CGENERAL")
    page.fill("#text", "shipped the new onboarding flow!")
    page.press("#text", "Enter")
    page.select_option("#person", "UEMMA")
    message = page.locator(".msg", has_text="shipped the new onboarding flow!").last
    message.get_by_role("button", name="Give a badge for this").click()
    expect(page.locator("#overlay")).to_be_visible()
    recipients = page.locator('#modal-body [data-kind="multi_users_select"]')
    expect(recipients.locator("option[selected]")).to_have_text("Kenji Tanaka")
    expect(page.locator('#modal-body [data-kind="plain_text_input"]')).to_have_value(
        re.compile(r"playground\.slack\.com/archives/CGENERAL/p\d+")
    )
    page.click("#modal-cancel")
    expect(page.locator("#overlay")).to_be_hidden()


def test_escape_closes_the_modal(page: Page, stack: PlaygroundStack) -> None:
    visit(page, stack, "?user=USOFIA&channel=CGENERAL")
    page.fill("#text", "/badge")
    page.press("#text", "Enter")
    expect(page.locator("#overlay")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#overlay")).to_be_hidden()
    page.keyboard.press("Escape")  # nothing open: nothing happens, nothing breaks
    page.fill("#text", "/badge")
    page.press("#text", "Enter")
    expect(page.locator("#overlay")).to_be_visible()  # it opens again as usual


def teams_person(page: Page, person: str) -> None:
    """Be someone else in the Teams view (their chat with badgebot opens)."""
    page.select_option("#person", person)
    expect(page.locator("#title")).to_have_text("Chat with badgebot")


def test_teams_view_give_approve_everywhere_and_digest(
    page: Page, stack: PlaygroundStack, screenshots: Path
) -> None:
    visit(page, stack, "teams?user=29:amara")
    expect(page.locator("#messages")).to_contain_text("Thanks for adding badgebot")
    page.fill("#text", "give ")
    page.select_option("#mention", "liam")  # picked from the list: a real <at> mention
    page.type("#text", "Team Player thanks for the demo")
    page.press("#text", "Enter")
    expect(page.locator("#messages")).to_contain_text("Sent for approval")
    expect(page.locator("#messages .mention", has_text="@Liam Chen").last).to_be_visible()

    teams_person(page, "29:maria")
    card = page.locator(".msg", has_text="thanks for the demo").last
    card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("Approved by Maria Garcia")
    expect(card.get_by_role("button", name="Approve")).to_have_count(0)

    teams_person(page, "29:oliver")  # the other approver's copy, updated in place
    expect(page.locator(".msg", has_text="thanks for the demo").last).to_contain_text(
        "Approved by Maria Garcia"
    )
    teams_person(page, "29:liam")
    expect(page.locator("#messages")).to_contain_text("You received")
    expect(page.locator("#connector")).to_contain_text("PUT /v3/conversations/a:oliver")
    expect(page.locator("#calls")).to_contain_text("POST /badges/approve/{id}")

    page.click('[data-conv="19:approvals@thread.tacv2"]')
    page.click("#digest")
    expect(page.locator("#messages")).to_contain_text("waiting for approval")
    teams_person(page, "29:maria")
    expect(page.locator(".msg", has_text="thanks for the demo").last).to_contain_text("Approved")
    page.screenshot(path=str(screenshots / "playground-teams.png"))


def test_teams_view_message_extension_and_escape(page: Page, stack: PlaygroundStack) -> None:
    visit(page, stack, "teams?user=29:sofia&conv=19:general@thread.tacv2")
    page.fill("#text", "shipped the release!")
    page.press("#text", "Enter")
    message = page.locator(".msg", has_text="shipped the release!").last
    message.get_by_role("button", name="Give a badge").click()
    expect(page.locator("#overlay")).to_be_visible()
    dialog = page.locator("#dialog-body")
    expect(dialog.locator('[data-input="reason"]')).to_have_value(
        re.compile(r"teams\.microsoft\.com/l/message/19:general")
    )
    dialog.get_by_role("button", name="Give", exact=True).click()  # nobody picked
    expect(dialog).to_contain_text("Pick at least one person")
    dialog.locator('[data-input="people"]').select_option(["aad-kenji"])
    dialog.locator('[data-input="badge"]').select_option(label="Visionary")
    dialog.get_by_role("button", name="Give", exact=True).click()
    expect(page.locator("#overlay")).to_be_hidden()
    page.click('[data-conv="a:sofia"]')
    expect(page.locator("#messages")).to_contain_text("Sent for approval")
    page.click("#extension")
    expect(page.locator("#overlay")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#overlay")).to_be_hidden()
    page.fill("#text", "home")
    page.press("#text", "Enter")
    expect(page.locator("#messages")).to_contain_text("Your requests waiting for approval")


def test_teams_view_badge_form_tag_mention_and_export(page: Page, stack: PlaygroundStack) -> None:
    """Issue 24's Teams items as the playground shows them: the badge editor card, a tag
    mention given to its Quantive team, and the export through the file consent card."""
    visit(page, stack, "teams?user=29:maria")
    page.fill("#text", "create")
    page.press("#text", "Enter")
    found = page.locator(".msg", has_text="New badge").last
    form = page.locator(f'.msg[data-id="{found.get_attribute("data-id")}"]')
    form.locator('[data-input="name"]').fill("Playground Pioneer")
    form.locator('[data-input="icon"]').select_option("rocket")
    form.get_by_role("button", name="Create").click()
    expect(page.locator("#status")).to_contain_text("invoke answered")
    expect(form).to_contain_text("Badge Playground Pioneer created")

    page.fill("#text", "give @platform Visionary for the playground")
    page.press("#text", "Enter")
    expect(page.locator("#messages")).to_contain_text("“Visionary” for Platform")

    page.fill("#text", "export all")
    page.press("#text", "Enter")
    consent = page.locator(".msg", has_text="wants to send you a file").last
    consent.get_by_role("button", name="Allow").click()
    expect(page.locator("#messages")).to_contain_text("Here is your export")
    opened = page.get_by_role("link", name="Open").last
    expect(opened).to_be_visible()
    answer = httpx.get(str(opened.get_attribute("href")), timeout=5)
    assert answer.text.lstrip("\ufeff").startswith("assignment_id,badge,giver_email")
    assert "for the playground" in answer.text


# A new user's rough edges (issue 21).


def test_switching_to_a_person_with_an_empty_chat_clears_the_last_ones(
    page: Page, stack: PlaygroundStack
) -> None:
    page.goto(stack.url + "?user=UAMARA&channel=DUAMARA")
    page.fill("#text", "/badge help")
    page.press("#text", "Enter")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Only visible to you")
    page.select_option("#person", "UJONAS")  # no test here writes to Jonas in Slack
    expect(page.locator('[data-conv="DUJONAS"]')).to_have_class(re.compile(r"\bactive\b"))
    expect(messages).to_be_empty()
    page.select_option("#person", "UAMARA")  # and back: her messages are drawn again
    expect(messages).to_contain_text("Only visible to you")


def test_the_badge_list_shows_a_command_to_copy_and_the_form_says_optional_once(
    page: Page, stack: PlaygroundStack
) -> None:
    page.goto(stack.url + "?user=UPRIYA&channel=DUPRIYA")
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


# Add to Slack (issue 22): the second workspace installs, connects and gives.


def test_add_to_slack_installs_a_second_workspace_that_connects_and_gives(
    page: Page, stack: PlaygroundStack, screenshots: Path
) -> None:
    off_loopback = keep_on_loopback(page.context)
    visit(page, stack, "?ws=TACMELABS&user=UMARIA&channel=CGENERAL")
    expect(page.locator("#install")).to_be_visible()
    page.fill("#text", "/badge help")
    page.press("#text", "Enter")  # no app, no command: Slack says so itself
    expect(page.locator("#messages")).to_contain_text("badgebot is not installed in Acme Labs")

    with page.context.expect_page() as opened:
        page.click("#add-to-slack")
    tab = opened.value
    tab.set_default_timeout(10_000)
    expect(tab.locator("h1")).to_have_text("Install badgebot")  # the bot's own page
    tab.click("#add-to-slack")
    expect(tab.locator("h1")).to_contain_text("Allow badgebot in Acme Labs?")
    expect(tab.locator("#installer")).to_have_value("UMARIA")  # who clicked Add to Slack
    tab.screenshot(path=str(screenshots / "playground-add-to-slack.png"))
    tab.get_by_role("button", name="Allow").click()
    expect(tab.locator("h1")).to_have_text("badgebot is installed")
    expect(tab.locator("body")).to_contain_text("installed in Acme Labs")
    tab.close()

    expect(page.locator("#install")).to_be_hidden()
    page.click('[data-conv="DUMARIA"]')
    expect(page.locator("#messages")).to_contain_text("Thanks for installing badgebot")
    page.click('[data-conv="HOME"]')
    page.locator("#messages").get_by_role("button", name="Connect Quantive").click()
    expect(page.locator("#modal-title")).to_have_text("Connect Quantive")
    expect(page.locator("#modal-hint")).to_contain_text(stack.emulator.account_id)
    page.click("#fill-connect")
    page.click("#modal-submit")
    expect(page.locator("#modal-body")).to_contain_text("Connected to")
    expect(page.locator("#modal-submit")).to_be_hidden()  # a result, nothing to submit
    page.click("#modal-cancel")
    expect(page.locator("#messages")).to_contain_text("Quantive connection")

    switch_to(page, "UAMARA", "CGENERAL")
    page.fill("#text", "/badge give @liam Team Player thanks for installing us")
    page.press("#text", "Enter")
    expect(page.locator("#messages")).to_contain_text("Sent for approval")
    switch_to(page, "UMARIA", "DUMARIA")  # who connected it approves, until admins change it
    request = page.locator(".msg", has_text="thanks for installing us").last
    request.get_by_role("button", name="Approve").click()
    expect(request).to_contain_text("Approved by @maria")
    page.screenshot(path=str(screenshots / "playground-second-workspace.png"))

    page.select_option("#workspace", "T1")  # the demo workspace is as it was
    expect(page.locator("#install")).to_be_hidden()
    assert off_loopback == []  # the install flow's pages load nothing from elsewhere


# The dashboard (issue 23), signed in to through the playground's Slack.


def test_the_dashboard_link_signs_in_as_the_person_chosen(
    page: Page, stack: PlaygroundStack, screenshots: Path
) -> None:
    off_loopback = keep_on_loopback(page.context)
    visit(page, stack, "?user=UAMARA&channel=CGENERAL")
    page.select_option("#person", "UOLIVER")  # ★ an approver
    tab = open_dashboard(page)
    expect(tab.get_by_text("Signed in as Oliver Smith")).to_be_visible()
    tab.goto(f"{tab.url}?{last_weeks_query()}")
    expect(tab.locator("svg#weekly g.week").first).to_be_visible()  # the demo's weeks
    expect(tab.locator("#total")).to_have_text(re.compile(r"^[1-9][0-9]*$"))
    tab.screenshot(path=str(screenshots / "playground-dashboard.png"), full_page=True)
    tab.close()

    page.select_option("#person", "UAMARA")  # no approver: the page that says who may
    tab = open_dashboard(page)
    expect(tab.get_by_role("heading", name="Not for this account")).to_be_visible()
    expect(tab.locator("#reason")).to_contain_text("not a badge admin or approver")
    assert off_loopback == []
