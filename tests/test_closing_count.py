"""The run fails when a collected test never reports an outcome, with or without pytest-xdist."""

import pytest

from tests.closing_count import EveryCollectedTestReports

TESTS = """
import pytest

def test_passes():
    pass

def test_skips_itself():
    pytest.skip("skipped while running")

@pytest.mark.skip(reason="skipped before running")
def test_marked_skip():
    pass

def test_swallowed():
    pass
"""
# A stand-in for a runner that collects a test and never runs or reports it.
SWALLOWING_PLUGIN = """
def pytest_runtest_protocol(item, nextitem):
    if item.name == "test_swallowed":
        return True
"""

# As make test runs the suite; the workers load no other plugin, so they start quickly.
RUNNERS = {"serial": (), "xdist": ("-p", "xdist", "-n", "2", "--dist", "worksteal")}


@pytest.fixture
def pytester(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


@pytest.mark.parametrize("runner", RUNNERS)
def test_run_fails_when_a_collected_test_reports_nothing(pytester, runner):
    pytester.makepyfile(test_inner=TESTS)
    pytester.makeconftest(SWALLOWING_PLUGIN)

    result = pytester.runpytest(*RUNNERS[runner], plugins=[EveryCollectedTestReports()])

    result.stdout.fnmatch_lines(["*4 tests were collected but 3 reported an outcome*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize("runner", RUNNERS)
def test_run_passes_when_every_test_reports_even_a_skip(pytester, runner):
    pytester.makepyfile(test_inner=TESTS)

    result = pytester.runpytest(*RUNNERS[runner], plugins=[EveryCollectedTestReports()])

    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.no_fnmatch_line("*reported an outcome*")
    assert result.ret == pytest.ExitCode.OK
