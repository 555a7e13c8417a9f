"""What the browser tests need besides the page: where Chromium is, what a missing one does, where screenshots go,
and an account with its password.

No Playwright import here: without Playwright the browser fixture must still skip, or fail, saying how to install it.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import ROOT, skip_unless_required

CHROMIUM = Path(os.environ.get("BOARD_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps calling home, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
LAPTOP = {"width": 1366, "height": 820}
# Upper bounds on waiting for what a person would see, not pauses: a loaded CI machine
# (two cores shared by Chromium, the app and PostgreSQL) can take seconds to repaint.
WAIT_MS = 10_000


def browser_required() -> bool:
    return os.environ.get("BOARD_REQUIRE_BROWSER", "") not in ("", "0")


def missing_browser(message: str) -> None:
    """Skip, or fail when the browser tests are required."""
    skip_unless_required(message, browser_required(), "BOARD_REQUIRE_BROWSER", "the browser tests")


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    name: str
    role: str
    password: str
