"""Browser fixtures: Debian's Chromium driven by Playwright, one browser per session, one context per test.

Without Chromium these tests are skipped, saying how to install it; with BOARD_REQUIRE_BROWSER=1
(set by .ci/run) a missing browser fails them instead, so CI never counts a skip as a pass.
"""

import itertools
import re

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, LAPTOP, SCREENSHOTS, WAIT_MS, Account, missing_browser


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing_browser(f"Chromium not found at {CHROMIUM}; install it with: apt-get install chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        missing_browser("Playwright for Python is missing; install the test extras with: make install")
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, request, live_server):
    """Open pages in fresh contexts (each a separate person); screenshot each page at the end.

    Also fails the test if the page threw an uncaught error or broke its Content-Security-Policy.
    It is set up after the live server so that its pages close before the server stops: a page
    still refreshing would otherwise leave a request holding a database connection past the
    app's engine, which then warns when it is garbage collected.
    """
    contexts, pages, problems = [], [], []

    def open_page(**context_options):
        options = {"locale": "en-GB", "viewport": LAPTOP, **context_options}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
        page.on("console", lambda msg: "Content Security Policy" in msg.text and problems.append(msg.text))
        pages.append(page)
        return page

    yield open_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    for index, page in enumerate(pages):
        suffix = f"-{index + 1}" if len(pages) > 1 else ""
        page.screenshot(path=SCREENSHOTS / f"{name}{suffix}.png", full_page=True)
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def page(new_page):
    return new_page()


_usernames = itertools.count(1)


@pytest.fixture
def make_account(engine):
    """Make accounts on the test database; usernames are unique within the session."""
    from board.accounts.users import create_user

    def make(role: str = "staff", name: str = "Ada Lovelace", password: str = "correct horse battery") -> Account:
        username = f"{role}-{next(_usernames)}"
        row = create_user(engine, username=username, name=name, role=role, password=password)
        return Account(row.id, username, name, role, password)

    return make


@pytest.fixture
def staff_account(staff) -> Account:
    """The suite's staff account (the one `client` acts as), with its password for signing in."""
    from tests.factories import PASSWORD

    return Account(staff.id, staff.username, staff.name, staff.role, PASSWORD)
