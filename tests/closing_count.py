"""A pytest plugin that fails a run in which a collected test never reported an outcome."""

import pytest


class EveryCollectedTestReports:
    """Count the tests that reached an outcome and compare them with the tests collected.

    Under pytest-xdist the workers' reports reach the controller, which does the comparison, so
    items that a runner merges, drops or never schedules fail the run instead of vanishing from
    the closing count (Schemathesis' items once shared one node id, and xdist ran one of 22).
    """

    def __init__(self):
        self.reported = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # One outcome per test: its call, or its setup when the setup failed or skipped it.
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.reported += 1

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        options = session.config.option
        if (
            hasattr(session.config, "workerinput")
            or exitstatus != pytest.ExitCode.OK
            or options.collectonly
            or options.setuponly
            or options.setupplan
        ):
            return
        if self.reported != session.testscollected:
            terminal = session.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None:
                terminal.ensure_newline()
                terminal.write_line(
                    f"{session.testscollected} tests were collected but {self.reported} reported an outcome",
                    red=True,
                )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
