"""Two independent app processes on one database, as two hosts behind a load balancer: nothing lost, nothing doubled."""

import os
import subprocess
import sys
from contextlib import ExitStack, contextmanager

import pytest

from tests.concurrency import assert_nothing_lost_or_doubled, read_then_move_by_many
from tests.factories import AppointmentFactory
from tests.helpers import ROOT

# Each instance is the app as wsgi.py makes it (so it checks its database first), served on a free port.
SERVE = """
from werkzeug.serving import make_server
import wsgi
server = make_server("127.0.0.1", 0, wsgi.app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@contextmanager
def app_instance(settings: dict, log_path):
    """Start one app process with `settings` in its environment; yield its base URL; stop it afterwards."""
    ours = {name: value for name, value in os.environ.items() if not name.startswith("BOARD_")}
    env = {**ours, **{name: str(value) for name, value in settings.items()}}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the instance did not start:\n{log_path.read_text()}"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


# Through PgBouncer, as the README's several-machines layout has it; directly, the same invariant
# across threads of one server is tests/appointments/test_concurrency.py's.
@pytest.mark.parametrize("database_route", ["pgbouncer"], indirect=True)
def test_two_instances_on_one_database_lose_and_double_nothing(app, engine, database_route, api_headers, tmp_path):
    hot_cards = [card.id for card in AppointmentFactory.create_batch(3)]

    with ExitStack() as stack:
        servers = [stack.enter_context(app_instance(database_route, tmp_path / f"instance-{n}.log")) for n in (1, 2)]
        answers = read_then_move_by_many(servers, hot_cards, api_headers)

    assert_nothing_lost_or_doubled(engine, hot_cards, answers)
    for n in (1, 2):
        assert (
            '"route": "/api/appointments/<appointment_id:appointment_id>/move"'
            in (tmp_path / f"instance-{n}.log").read_text()
        ), f"instance {n} answered moves too"
