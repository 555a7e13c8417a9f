"""Without Chromium the browser tests skip on a developer's machine and fail in CI."""

import pytest

from tests.browser.support import missing_browser


def test_missing_browser_skips_with_how_to_install(monkeypatch):
    monkeypatch.delenv("BOARD_REQUIRE_BROWSER", raising=False)

    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        missing_browser("Chromium not found; install it with: apt-get install chromium")


@pytest.mark.parametrize("value", ["1", "yes"])
def test_missing_browser_fails_when_required(monkeypatch, value):
    monkeypatch.setenv("BOARD_REQUIRE_BROWSER", value)

    with pytest.raises(pytest.fail.Exception, match="must run"):
        missing_browser("Chromium not found")


def test_zero_does_not_require_the_browser(monkeypatch):
    monkeypatch.setenv("BOARD_REQUIRE_BROWSER", "0")

    with pytest.raises(pytest.skip.Exception):
        missing_browser("Chromium not found")
